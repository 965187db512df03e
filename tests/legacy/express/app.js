'use strict';
// A small members' site on Express + express-session (MemoryStore, cookie connect.sid):
//
//     PORT=8082 LEGACY_LOG=/tmp/app.log node app.js
//
// The first middleware after the session appends one JSON line per request to the file named
// by $LEGACY_LOG: method, path with query, and the member signed in when the request arrived
// (null when anonymous). That line is what the gateway's tests trust about what the site saw.

const fs = require('fs');
const express = require('express');
const session = require('express-session');

const MEMBERS = {
  jdoe: { password: 'listings2024', name: 'Jane Doe' },
  asmith: { password: 'openhouse99', name: 'Alan Smith' },
  bkumar: { password: 'escrow#Close7', name: 'Bina Kumar' },
};

const port = Number(process.env.PORT || 8082);
const host = process.env.HOST || '127.0.0.1';
const logFile = process.env.LEGACY_LOG || '';

const app = express();
app.disable('x-powered-by');

app.use(
  session({
    secret: process.env.SESSION_SECRET || 'legacy-express-not-a-secret',
    resave: false,
    saveUninitialized: false,
  }),
);

// The oracle: what the app itself saw when the request arrived, before any handler ran.
app.use((req, _res, next) => {
  if (logFile) {
    const user = currentUser(req);
    const line = JSON.stringify({ method: req.method, path: req.originalUrl, user });
    fs.appendFileSync(logFile, line + '\n');
  }
  next();
});

app.use(express.urlencoded({ extended: false }));
app.use(express.json());

function currentUser(req) {
  const user = req.session && req.session.user;
  return typeof user === 'string' && Object.prototype.hasOwnProperty.call(MEMBERS, user)
    ? user
    : null;
}

// Usernames are compared like Django / ASP.NET Identity do: NFKC, trimmed, lower-cased.
function checkLogin(username, password) {
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const login = username.normalize('NFKC').trim().toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(MEMBERS, login)) return null;
  return MEMBERS[login].password === password ? login : null;
}

// A fresh session (new id) for the member.
function signIn(req, login, done) {
  req.session.regenerate((err) => {
    if (err) return done(err);
    req.session.user = login;
    req.session.save(done);
  });
}

function localNext(next) {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//')
    ? next
    : '/home';
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res, title, body, status = 200) {
  res
    .status(status)
    .type('html')
    .send(
      `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}` +
        ` - Lakeside MLS (Express)</title></head>\n<body>\n${body}\n</body></html>\n`,
    );
}

function loginForm(res, next, error) {
  const err = error ? `<p class="error" role="alert">${esc(error)}</p>\n` : '';
  page(
    res,
    'Sign in',
    `<h1>Sign in</h1>\n${err}<form method="post" action="/login">\n` +
      '<label>Username <input name="username" autocomplete="username"></label>\n' +
      '<label>Password <input name="password" type="password" autocomplete="current-password"></label>\n' +
      `<input type="hidden" name="next" value="${esc(next)}">\n` +
      '<button type="submit">Sign in</button>\n</form>',
  );
}

function requireMember(req, res, next) {
  if (currentUser(req) === null) {
    return res.redirect(302, '/login?next=' + encodeURIComponent(req.originalUrl));
  }
  next();
}

function nextOf(req) {
  const body = req.body && typeof req.body.next === 'string' ? req.body.next : undefined;
  const query = typeof req.query.next === 'string' ? req.query.next : undefined;
  return body !== undefined ? body : query !== undefined ? query : '';
}

app.get('/', (req, res) => {
  const user = currentUser(req);
  page(
    res,
    'Welcome',
    '<h1>Lakeside MLS</h1>\n' +
      (user === null
        ? '<p><a href="/login">Sign in</a></p>'
        : `<p>Signed in as ${esc(MEMBERS[user].name)}. <a href="/home">Home</a></p>`),
  );
});

app.get('/login', (req, res) => loginForm(res, nextOf(req)));

app.post('/login', (req, res, nextHandler) => {
  const next = nextOf(req);
  const body = req.body || {};
  const login = checkLogin(body.username, body.password);
  if (login === null) return loginForm(res, next, 'Wrong username or password.');
  signIn(req, login, (err) => {
    if (err) return nextHandler(err);
    res.redirect(302, localNext(next));
  });
});

app.post('/api/login', (req, res, nextHandler) => {
  const body = req.body || {};
  const login = checkLogin(body.username, body.password);
  if (login === null) return res.status(401).json({ ok: false });
  signIn(req, login, (err) => {
    if (err) return nextHandler(err);
    res.json({ ok: true, user: login });
  });
});

app.get('/home', requireMember, (req, res) => {
  const user = currentUser(req);
  page(
    res,
    'Home',
    `<h1>Welcome back, ${esc(MEMBERS[user].name)}</h1>\n` +
      '<p><a href="/listings">Listings</a> · <a href="/logout">Sign out</a></p>',
  );
});

app.get('/listings', requireMember, (req, res) => {
  const user = currentUser(req);
  page(
    res,
    'Listings',
    `<h1>Listings</h1>\n<p>Member: ${esc(MEMBERS[user].name)}</p>\n` +
      '<ul><li>12 Lake Rd - 3 bd</li><li>4 Birch Ln - 2 bd</li></ul>',
  );
});

app.get(['/whoami', '/api/whoami'], (req, res) => res.json({ user: currentUser(req) }));

app.all('/logout', (req, res, nextHandler) => {
  req.session.destroy((err) => {
    if (err) return nextHandler(err);
    res.clearCookie('connect.sid', { path: '/' });
    res.redirect(302, '/');
  });
});

app.use((req, res) => page(res, 'Not found', '<h1>Not found</h1>', 404));

const server = app.listen(port, host, () => {
  console.log(`legacy express app listening on http://${host}:${port}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
