module example.com/go-naive

go 1.19
