// A small HTTP service. With `serve` it listens on :8080; without arguments it
// prints its reply once, which is what the example's tests run.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/go-naive/internal/greet"
)

func reply() string {
	body, err := greet.JSON("go-naive", "deps-first", "cached-compiles")
	if err != nil {
		log.Fatal(err)
	}
	return body
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, reply())
		})
		log.Fatal(http.ListenAndServe(":8080", nil))
	}
	fmt.Println(reply())
}
