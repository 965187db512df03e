//! What the gateway config and the tests need to know about each legacy stack: its login form
//! and JSON login, session cookie, success / failure answers and members' pages.

/// A JSON login endpoint (`POST` with `{"username":..,"password":..}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLoginProfile {
    /// Path of the JSON login POST.
    pub path: &'static str,
    /// RFC 6901 pointer to the username in the request body.
    pub username_pointer: &'static str,
    /// RFC 6901 pointer to the password in the request body.
    pub password_pointer: &'static str,
}

/// What the gateway config and the tests need to know about a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// `php`, `express` or `tomcat`.
    pub name: &'static str,
    /// Path of the login form's POST: `/login`, or Tomcat's `/j_security_check`.
    pub login_path: &'static str,
    /// Page to GET first to obtain the login form: `/login`, or for Tomcat a protected page
    /// (`/home`), which the container answers with its login page and an anonymous session.
    pub login_page: &'static str,
    /// Form field of the username.
    pub username_field: &'static str,
    /// Form field of the password.
    pub password_field: &'static str,
    /// Form field (also accepted in the query string) naming where to go after the login; the
    /// app follows it only when it is a local path (starts with `/`, not `//`). Tomcat has none:
    /// it returns to the protected page that was asked for.
    pub next_field: Option<&'static str>,
    /// Name of the session cookie.
    pub session_cookie: &'static str,
    /// The login POST only works with the anonymous session made when the login form was
    /// shown (Tomcat FORM auth keeps the original request in it; without it: 408).
    pub needs_pre_login_session: bool,
    /// Statuses of a successful login answer (it also sets a new session cookie).
    pub success_status: &'static [u16],
    /// A `Location` starting with this marks a failed / not-signed-in answer (PHP and Express
    /// send anonymous visitors of members' pages to `/login?next=..`; a wrong password is a 200
    /// with the form). Caution: a *successful* login with `next=/login/` also redirects there.
    /// Tomcat answers a wrong password with a 200 forward to this error page, never a redirect.
    pub login_failure_prefix: &'static str,
    /// A members' page showing the member's name.
    pub home_path: &'static str,
    /// JSON `{"user":"jdoe"}` or `{"user":null}` (also at `/api/whoami`).
    pub whoami_path: &'static str,
    /// Ends the session and redirects to `/`.
    pub logout_path: &'static str,
    /// The JSON login endpoint, for the stacks that have one.
    pub api_login: Option<ApiLoginProfile>,
}

const API_LOGIN: ApiLoginProfile = ApiLoginProfile {
    path: "/api/login",
    username_pointer: "/username",
    password_pointer: "/password",
};

/// PHP native sessions (`php -S`, `tests/legacy/php/router.php`).
pub static PHP: Profile = Profile {
    name: "php",
    login_path: "/login",
    login_page: "/login",
    username_field: "username",
    password_field: "password",
    next_field: Some("next"),
    session_cookie: "PHPSESSID",
    needs_pre_login_session: false,
    success_status: &[302],
    login_failure_prefix: "/login",
    home_path: "/home",
    whoami_path: "/whoami",
    logout_path: "/logout",
    api_login: Some(API_LOGIN),
};

/// Express + express-session (`tests/legacy/express/app.js`).
pub static EXPRESS: Profile = Profile {
    name: "express",
    session_cookie: "connect.sid",
    ..PHP
};

/// Tomcat 10 FORM authentication (`tests/legacy/tomcat`).
pub static TOMCAT: Profile = Profile {
    name: "tomcat",
    login_path: "/j_security_check",
    login_page: "/home",
    username_field: "j_username",
    password_field: "j_password",
    next_field: None,
    session_cookie: "JSESSIONID",
    needs_pre_login_session: true,
    success_status: &[303, 302],
    login_failure_prefix: "/login-error.jsp",
    home_path: "/home",
    whoami_path: "/whoami",
    logout_path: "/logout",
    api_login: None,
};
