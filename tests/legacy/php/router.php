<?php
// A small members' site on PHP native sessions, served by PHP's built-in web server:
//
//     LEGACY_LOG=/tmp/app.log php -S 127.0.0.1:8081 -d session.save_path=/tmp/sess router.php
//
// Every request goes through this router. Its prelude starts the session (cookie PHPSESSID),
// then appends one JSON line to the file named by $LEGACY_LOG: the method, the path with its
// query, and the member signed in when the request arrived (null when anonymous). That line
// is what the gateway's tests trust about what the site saw.

declare(strict_types=1);

const MEMBERS = [
    'jdoe' => ['password' => 'listings2024', 'name' => 'Jane Doe'],
    'asmith' => ['password' => 'openhouse99', 'name' => 'Alan Smith'],
    'bkumar' => ['password' => 'escrow#Close7', 'name' => 'Bina Kumar'],
];

session_start();

$method = $_SERVER['REQUEST_METHOD'] ?? '';
$target = $_SERVER['REQUEST_URI'] ?? '';
$arrived_as = isset($_SESSION['user']) ? (string) $_SESSION['user'] : null;

$log = getenv('LEGACY_LOG');
if ($log !== false && $log !== '') {
    $line = json_encode(
        ['method' => $method, 'path' => $target, 'user' => $arrived_as],
        JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE
    );
    file_put_contents($log, $line . "\n", FILE_APPEND | LOCK_EX);
}

$path = parse_url($target, PHP_URL_PATH);
if (!is_string($path)) {
    $path = '/';
}
if ($path !== '/') {
    $path = rtrim($path, '/');
}

function h(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

/** The member signed in on this session, or null. */
function current_user(): ?string
{
    $user = $_SESSION['user'] ?? null;
    return is_string($user) && isset(MEMBERS[$user]) ? $user : null;
}

/** The canonical login for a username and password, or null when they do not match. */
function check_login(mixed $username, mixed $password): ?string
{
    if (!is_string($username) || !is_string($password)) {
        return null;
    }
    $login = strtolower(trim($username));
    if (!isset(MEMBERS[$login]) || !hash_equals(MEMBERS[$login]['password'], $password)) {
        return null;
    }
    return $login;
}

/** Starts a fresh session for the member (new id, old session removed). */
function sign_in(string $login): void
{
    session_regenerate_id(true);
    $_SESSION['user'] = $login;
}

/** `next` when it is a local path (starts with one `/`), otherwise `/home`. */
function local_next(mixed $next): string
{
    if (is_string($next) && str_starts_with($next, '/') && !str_starts_with($next, '//')) {
        return $next;
    }
    return '/home';
}

function page(string $title, string $body, int $status = 200): never
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    echo "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" . h($title)
        . " - Lakeside MLS (PHP)</title></head>\n<body>\n" . $body . "\n</body></html>\n";
    exit;
}

function json_answer(mixed $value, int $status = 200): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($value, JSON_UNESCAPED_SLASHES);
    exit;
}

function redirect(string $location): never
{
    header('Location: ' . $location, true, 302);
    exit;
}

function login_form(string $next, string $error = ''): never
{
    $err = $error === '' ? '' : '<p class="error" role="alert">' . h($error) . "</p>\n";
    page('Sign in', "<h1>Sign in</h1>\n" . $err
        . "<form method=\"post\" action=\"/login\">\n"
        . "<label>Username <input name=\"username\" autocomplete=\"username\"></label>\n"
        . "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\n"
        . '<input type="hidden" name="next" value="' . h($next) . "\">\n"
        . "<button type=\"submit\">Sign in</button>\n</form>");
}

/** The member, or a redirect to the login form that comes back here. */
function require_member(string $target): string
{
    $user = current_user();
    if ($user === null) {
        redirect('/login?next=' . rawurlencode($target));
    }
    return $user;
}

switch ($path) {
    case '/':
        $user = current_user();
        page('Welcome', "<h1>Lakeside MLS</h1>\n" . ($user === null
            ? '<p><a href="/login">Sign in</a></p>'
            : '<p>Signed in as ' . h(MEMBERS[$user]['name']) . '. <a href="/home">Home</a></p>'));

    case '/login':
        $next = $_POST['next'] ?? $_GET['next'] ?? '';
        $next = is_string($next) ? $next : '';
        if ($method !== 'POST') {
            login_form($next);
        }
        $login = check_login($_POST['username'] ?? null, $_POST['password'] ?? null);
        if ($login === null) {
            login_form($next, 'Wrong username or password.');
        }
        sign_in($login);
        redirect(local_next($next));

    case '/api/login':
        if ($method !== 'POST') {
            json_answer(['ok' => false, 'error' => 'method'], 405);
        }
        $body = json_decode((string) file_get_contents('php://input'), true);
        $login = is_array($body) ? check_login($body['username'] ?? null, $body['password'] ?? null) : null;
        if ($login === null) {
            json_answer(['ok' => false], 401);
        }
        sign_in($login);
        json_answer(['ok' => true, 'user' => $login]);

    case '/home':
        $user = require_member($target);
        page('Home', '<h1>Welcome back, ' . h(MEMBERS[$user]['name']) . "</h1>\n"
            . '<p><a href="/listings">Listings</a> · <a href="/logout">Sign out</a></p>');

    case '/listings':
        $user = require_member($target);
        page('Listings', "<h1>Listings</h1>\n<p>Member: " . h(MEMBERS[$user]['name']) . "</p>\n"
            . "<ul><li>12 Lake Rd - 3 bd</li><li>4 Birch Ln - 2 bd</li></ul>");

    case '/whoami':
    case '/api/whoami':
        json_answer(['user' => current_user()]);

    case '/logout':
        $_SESSION = [];
        $params = session_get_cookie_params();
        setcookie(session_name(), '', [
            'expires' => 1,
            'path' => $params['path'],
            'httponly' => true,
        ]);
        session_destroy();
        redirect('/');

    default:
        page('Not found', '<h1>Not found</h1>', 404);
}
