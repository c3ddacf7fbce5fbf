// A small Express service. With `serve` it listens on :3000; without
// arguments it prints its reply once, which is what the example's tests run.
const express = require("express");

function reply() {
  return JSON.stringify({ service: "node-naive", features: ["deps-first", "cached-installs"] });
}

if (process.argv[2] === "serve") {
  const app = express();
  app.get("/", (_req, res) => res.type("json").send(reply()));
  app.listen(3000);
} else {
  console.log(reply());
}
