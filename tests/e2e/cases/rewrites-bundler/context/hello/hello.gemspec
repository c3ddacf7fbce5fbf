Gem::Specification.new do |s|
  s.name = "hello"
  s.version = "1.0.0"
  s.summary = "A gem built in the build, so that no registry is needed"
  s.authors = ["dfopt"]
  s.files = ["lib/hello.rb"]
  s.license = "MIT"
end
