module Hello; def self.hi = "hi"; end
