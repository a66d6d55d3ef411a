//! Rendered quiz forms of unsubmitted attempts, by token. An attempt's form never changes
//! while it is open (its questions, shuffle, session and CSRF token are fixed when it starts),
//! so it is rendered once, when the attempt starts, and served from here. Only this render is
//! kept, never whether the attempt is still open: that is asked of the store on every request,
//! so an attempt graded on another instance shows its result at once. The cache is bounded in
//! bytes and forgets the oldest pages first; a miss only costs a render.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;

/// Bytes of rendered pages kept at most (a quiz page is 5–30 KB).
pub const BUDGET: usize = 4 * 1024 * 1024;

/// The cache; see the module documentation.
#[derive(Default)]
pub struct QuizPages {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Page>,
    /// Tokens in insertion order, for eviction; may name pages already removed.
    order: VecDeque<String>,
    bytes: usize,
}

struct Page {
    session_id: String,
    html: Bytes,
}

impl QuizPages {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update leaves the maps consistent, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The form of attempt `token`, if it is kept and belongs to this session.
    pub fn get(&self, token: &str, session_id: &str) -> Option<Bytes> {
        self.lock()
            .pages
            .get(token)
            .filter(|p| p.session_id == session_id)
            .map(|p| p.html.clone())
    }

    /// Keeps the form of an open attempt, forgetting the oldest pages beyond [`BUDGET`].
    pub fn insert(&self, token: &str, session_id: &str, html: Bytes) {
        if html.len() > BUDGET / 4 {
            return;
        }
        let mut inner = self.lock();
        inner.bytes += html.len();
        let page = Page {
            session_id: session_id.to_string(),
            html,
        };
        if let Some(old) = inner.pages.insert(token.to_string(), page) {
            inner.bytes -= old.html.len();
        } else {
            inner.order.push_back(token.to_string());
        }
        while inner.bytes > BUDGET {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.pages.remove(&oldest) {
                inner.bytes -= gone.html.len();
            }
        }
    }

    /// Forgets the form of an attempt that has been submitted.
    pub fn remove(&self, token: &str) {
        let mut inner = self.lock();
        if let Some(gone) = inner.pages.remove(token) {
            inner.bytes -= gone.html.len();
            inner.order.retain(|t| t != token);
        }
    }

    /// Bytes of pages kept now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_to_its_session_and_forgotten_when_removed() {
        let pages = QuizPages::default();
        pages.insert("t", "s", Bytes::from_static(b"<form>"));
        assert_eq!(pages.get("t", "s").as_deref(), Some(&b"<form>"[..]));
        assert_eq!(pages.get("t", "other"), None);
        pages.remove("t");
        assert_eq!(pages.get("t", "s"), None);
        assert_eq!(pages.bytes(), 0);
    }

    #[test]
    fn the_oldest_pages_go_first_when_the_budget_is_reached() {
        let pages = QuizPages::default();
        let page = Bytes::from(vec![b'x'; BUDGET / 8]);
        for i in 0..10 {
            pages.insert(&format!("t{i}"), "s", page.clone());
        }
        assert!(pages.bytes() <= BUDGET);
        assert_eq!(pages.get("t0", "s"), None);
        assert_eq!(pages.get("t1", "s"), None);
        assert!(pages.get("t9", "s").is_some());
        assert!(pages.get("t2", "s").is_some());
        // Replacing a page does not count it twice.
        pages.insert("t9", "s", page.clone());
        assert_eq!(pages.bytes(), 8 * page.len());
    }
}
