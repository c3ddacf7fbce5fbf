// A small Express service. With `serve` it listens on :3000; without arguments
// it prints its reply once, which is what the example's tests run.
'use strict';

const express = require('express');

function reply() {
  return JSON.stringify({
    service: 'node-app',
    express: require('express/package.json').version,
  });
}

if (process.argv[2] === 'serve') {
  const app = express();
  app.get('/', (_req, res) => res.type('application/json').send(reply() + '\n'));
  app.listen(3000, () => console.log('node-app listening on :3000'));
} else {
  console.log(reply());
}
