//! In-memory state of the demo site: members, the session table (cookie sessions plus the
//! mobile app's bearer tokens) and the bounded log of requests received.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{header, HeaderMap};
use ring::rand::{SecureRandom, SystemRandom};

use super::site::{DemoUser, SeenRequest, SESSION_COOKIE};

/// How many requests the log keeps; older ones are dropped so a long demo can't exhaust memory.
const SEEN_LIMIT: usize = 10_000;

/// Shared handle used by the router and [`super::DemoSite`].
pub(super) type SharedState = Arc<SiteState>;

/// Who a request's credentials belong to, resolved once by the recording middleware and handed
/// to handlers so the log and the handler always agree.
#[derive(Debug, Clone, Default)]
pub(super) struct Caller {
    /// The `MLSSESSION` value that matched a live session.
    pub session_id: Option<String>,
    /// The bearer token that matched a live token.
    pub token: Option<String>,
    /// Canonical username of whichever credential matched (cookie first).
    pub username: Option<String>,
}

/// A live login: a cookie session, optionally with the API token issued alongside it.
#[derive(Debug)]
struct Session {
    username: String,
    token: Option<String>,
}

/// Sessions keyed by cookie value, tokens mapping to the session they belong to.
#[derive(Debug, Default)]
struct SessionTable {
    sessions: HashMap<String, Session>,
    tokens: HashMap<String, String>,
}

/// Everything the handlers share.
pub(super) struct SiteState {
    users: Vec<DemoUser>,
    rng: SystemRandom,
    table: Mutex<SessionTable>,
    seen: Mutex<VecDeque<SeenRequest>>,
}

/// Locks `mutex`, ignoring poisoning: every critical section here leaves the maps consistent,
/// so a panic elsewhere must not take the whole demo site down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SiteState {
    /// Fresh state for `users` with no sessions and an empty log.
    pub fn new(users: Vec<DemoUser>) -> Self {
        Self {
            users,
            rng: SystemRandom::new(),
            table: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    /// The member called `username`, compared the way common frameworks do it: Unicode NFKC
    /// (Django's `normalize_username`), trimmed, then case-insensitively. So `ｊdoe` signs in
    /// `jdoe` here as it does on those frameworks, and the gateway's tests meet that folding
    /// on the demo site too, not only in the zoo (issue 13).
    pub fn find_user(&self, username: &str) -> Option<&DemoUser> {
        use unicode_normalization::UnicodeNormalization as _;
        let folded: String = username.nfkc().collect();
        let wanted = folded.trim();
        self.users
            .iter()
            .find(|user| user.username.eq_ignore_ascii_case(wanted))
    }

    /// The member whose username and password match.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&DemoUser> {
        self.find_user(username)
            .filter(|user| user.password == password)
    }

    /// `bytes` random bytes from the system RNG as lower-case hex; `None` if the RNG fails.
    fn random_hex(&self, bytes: usize) -> Option<String> {
        let mut buffer = vec![0u8; bytes];
        self.rng.fill(&mut buffer).ok()?;
        Some(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// Opens a cookie session for `username`; returns the new `MLSSESSION` value.
    pub fn open_session(&self, username: &str) -> Option<String> {
        let session_id = self.random_hex(16)?;
        let session = Session {
            username: username.to_owned(),
            token: None,
        };
        lock(&self.table)
            .sessions
            .insert(session_id.clone(), session);
        Some(session_id)
    }

    /// Opens a cookie session plus a bearer token for the mobile app: `(session_id, token)`.
    pub fn open_api_session(&self, username: &str) -> Option<(String, String)> {
        let session_id = self.random_hex(16)?;
        let token = self.random_hex(24)?;
        let session = Session {
            username: username.to_owned(),
            token: Some(token.clone()),
        };
        let mut table = lock(&self.table);
        table.sessions.insert(session_id.clone(), session);
        table.tokens.insert(token.clone(), session_id.clone());
        Some((session_id, token))
    }

    /// Replaces session `old_id` with a new random id (the old one stops working at once),
    /// keeping its user and token; `None` if `old_id` is not live or the RNG fails.
    pub fn rotate_session(&self, old_id: &str) -> Option<String> {
        let new_id = self.random_hex(16)?;
        let mut table = lock(&self.table);
        let session = table.sessions.remove(old_id)?;
        if let Some(token) = &session.token {
            table.tokens.insert(token.clone(), new_id.clone());
        }
        table.sessions.insert(new_id.clone(), session);
        Some(new_id)
    }

    /// Ends whatever live session `caller` presented (by cookie or by token), with its token.
    pub fn end_session(&self, caller: &Caller) {
        let mut table = lock(&self.table);
        let session_id = caller.session_id.clone().or_else(|| {
            caller
                .token
                .as_ref()
                .and_then(|token| table.tokens.get(token).cloned())
        });
        if let Some(session) = session_id.and_then(|id| table.sessions.remove(&id)) {
            if let Some(token) = session.token {
                table.tokens.remove(&token);
            }
        }
    }

    /// Resolves the `MLSSESSION` cookie(s) and `Authorization: Bearer` token of a request.
    ///
    /// Any live session cookie counts, not only the first one sent: that is the most
    /// permissive reading, so a test proving the gateway stripped a cookie cannot pass just
    /// because a stale duplicate happened to come first.
    pub fn resolve_caller(&self, headers: &HeaderMap) -> Caller {
        let table = lock(&self.table);
        let mut caller = Caller::default();
        let session_values = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.trim().trim_matches('"'));
        for value in session_values {
            if let Some(session) = table.sessions.get(value) {
                caller.session_id = Some(value.to_owned());
                caller.username = Some(session.username.clone());
                break;
            }
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if let Some(token) = bearer {
            let session = table
                .tokens
                .get(token)
                .and_then(|id| table.sessions.get(id));
            if let Some(session) = session {
                caller.token = Some(token.to_owned());
                caller
                    .username
                    .get_or_insert_with(|| session.username.clone());
            }
        }
        caller
    }

    /// Appends `request` to the log, dropping the oldest entry when full.
    pub fn record(&self, request: SeenRequest) {
        let mut seen = lock(&self.seen);
        if seen.len() >= SEEN_LIMIT {
            seen.pop_front();
        }
        seen.push_back(request);
    }

    /// A copy of the log, oldest first.
    pub fn seen(&self) -> Vec<SeenRequest> {
        lock(&self.seen).iter().cloned().collect()
    }

    /// Empties the log.
    pub fn clear_seen(&self) {
        lock(&self.seen).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn state() -> SiteState {
        SiteState::new(super::super::demo_users())
    }

    fn cookie_headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).expect("ascii"));
        headers
    }

    #[test]
    fn usernames_match_case_insensitively_passwords_do_not() {
        let state = state();
        assert_eq!(
            state
                .authenticate("JDoe", "listings2024")
                .map(|u| u.username.as_str()),
            Some("jdoe")
        );
        assert!(state.authenticate("jdoe", "LISTINGS2024").is_none());
        assert!(state.authenticate("nobody", "listings2024").is_none());
    }

    #[test]
    fn session_ids_are_32_hex_and_unique() {
        let state = state();
        let first = state.open_session("jdoe").expect("rng");
        let second = state.open_session("jdoe").expect("rng");
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    #[test]
    fn any_live_session_cookie_resolves_unknown_ones_do_not() {
        let state = state();
        let id = state.open_session("asmith").expect("rng");
        let caller = state.resolve_caller(&cookie_headers(&format!(
            "a=1; MLSSESSION=stale; MLSSESSION={id}"
        )));
        assert_eq!(caller.username.as_deref(), Some("asmith"));
        assert_eq!(caller.session_id.as_deref(), Some(id.as_str()));
        let anonymous = state.resolve_caller(&cookie_headers("MLSSESSION=deadbeef; mls_pref=list"));
        assert!(anonymous.username.is_none() && anonymous.session_id.is_none());
    }

    #[test]
    fn rotation_moves_session_and_token_to_the_new_id() {
        let state = state();
        let (old_id, token) = state.open_api_session("bkumar").expect("rng");
        let new_id = state.rotate_session(&old_id).expect("live session");
        assert!(state
            .resolve_caller(&cookie_headers(&format!("MLSSESSION={old_id}")))
            .username
            .is_none());
        assert_eq!(
            state
                .resolve_caller(&cookie_headers(&format!("MLSSESSION={new_id}")))
                .username
                .as_deref(),
            Some("bkumar")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("ascii"),
        );
        let by_token = state.resolve_caller(&headers);
        assert_eq!(by_token.username.as_deref(), Some("bkumar"));
        state.end_session(&by_token);
        assert!(state.resolve_caller(&headers).username.is_none());
        assert!(state
            .resolve_caller(&cookie_headers(&format!("MLSSESSION={new_id}")))
            .username
            .is_none());
        assert!(state.rotate_session(&new_id).is_none());
    }

    #[test]
    fn log_is_bounded_and_keeps_the_newest() {
        let state = state();
        for index in 0..SEEN_LIMIT + 5 {
            state.record(SeenRequest {
                method: "GET".into(),
                path: format!("/{index}"),
                session_user: None,
                cookie_header: None,
                headers: Vec::new(),
            });
        }
        let seen = state.seen();
        assert_eq!(seen.len(), SEEN_LIMIT);
        assert_eq!(seen[0].path, "/5");
        assert_eq!(seen[SEEN_LIMIT - 1].path, format!("/{}", SEEN_LIMIT + 4));
        state.clear_seen();
        assert!(state.seen().is_empty());
    }
}
