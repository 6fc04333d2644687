//! The spool door's router: handlers by kind of file, registered at start by the daemon's
//! wiring (`engine::daemon`), so that the door itself knows no business kind (the Bots
//! "route" idea; Prest'IJ and future doors plug in here).
//!
//! A handler claims a file by its name and takes it either unread (it reads the file
//! itself, e.g. a supporting document streamed to the journal) or once the door has read it
//! (regular file, size cap applied), e.g. a BPIJ slip. The first handler that claims a file
//! takes it; a file no handler claims is journaled as refused (unsupported type) and moved to
//! `rejected/` by the door. HR records and payroll signalements are handlers like the others
//! (`spool::take_records`).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::spool::{SpoolDirs, SpoolError, SpoolOptions};
use crate::engine::ingest::Engine;

/// What a handler gets: the ingest handle, the spool folders and options, the file.
#[derive(Clone, Copy)]
pub struct SpoolFile<'a> {
    pub engine: &'a Engine,
    pub dirs: &'a SpoolDirs,
    pub opts: &'a SpoolOptions,
    pub path: &'a Path,
    pub name: &'a str,
}

/// A handler's work on one file: it archives or rejects the file itself.
pub type Handled<'a> = Pin<Box<dyn Future<Output = Result<(), SpoolError>> + Send + 'a>>;

/// Takes a file unread.
pub type UnreadFn = for<'a> fn(SpoolFile<'a>) -> Handled<'a>;
/// Takes the bytes the door read.
pub type ReadFn = for<'a> fn(SpoolFile<'a>, Vec<u8>) -> Handled<'a>;

#[derive(Clone, Copy)]
enum Take {
    Unread(UnreadFn),
    Read(ReadFn),
}

#[derive(Clone, Copy)]
struct Handler {
    kind: &'static str,
    claims: fn(&str) -> bool,
    take: Take,
}

/// Handlers by kind, in registration order.
#[derive(Clone, Default)]
pub struct Router {
    handlers: Vec<Handler>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.handlers.iter().map(|h| h.kind))
            .finish()
    }
}

impl Router {
    /// A router with no handler: every file goes the door's default way.
    pub fn new() -> Router {
        Router::default()
    }

    /// Registers a handler that reads the file itself.
    pub fn unread(mut self, kind: &'static str, claims: fn(&str) -> bool, f: UnreadFn) -> Router {
        self.handlers.push(Handler {
            kind,
            claims,
            take: Take::Unread(f),
        });
        self
    }

    /// Registers a handler that takes the bytes the door read.
    pub fn read(mut self, kind: &'static str, claims: fn(&str) -> bool, f: ReadFn) -> Router {
        self.handlers.push(Handler {
            kind,
            claims,
            take: Take::Read(f),
        });
        self
    }

    /// The kinds registered, in order (for logs and tests).
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.iter().map(|h| h.kind).collect()
    }

    fn first(&self, name: &str) -> Option<&Handler> {
        self.handlers.iter().find(|h| (h.claims)(name))
    }

    /// Before reading: the handler that takes `name` unread, if one claims it first.
    pub fn take_unread(&self, name: &str) -> Option<UnreadFn> {
        match self.first(name)?.take {
            Take::Unread(f) => Some(f),
            Take::Read(_) => None,
        }
    }

    /// After reading: the handler that takes the bytes of `name`, if one claims it first.
    pub fn take_read(&self, name: &str) -> Option<ReadFn> {
        match self.first(name)?.take {
            Take::Read(f) => Some(f),
            Take::Unread(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf(n: &str) -> bool {
        n.ends_with(".pdf")
    }
    fn xml(n: &str) -> bool {
        n.ends_with(".xml")
    }
    fn any(_: &str) -> bool {
        true
    }
    fn unread<'a>(_: SpoolFile<'a>) -> Handled<'a> {
        Box::pin(async { Ok(()) })
    }
    fn read<'a>(_: SpoolFile<'a>, _: Vec<u8>) -> Handled<'a> {
        Box::pin(async { Ok(()) })
    }

    #[test]
    fn the_first_handler_that_claims_a_file_takes_it_at_its_stage() {
        let r = Router::new()
            .unread("supporting document", pdf, unread)
            .read("BPIJ", xml, read)
            .read("catch-all", any, read);
        assert_eq!(r.kinds(), ["supporting document", "BPIJ", "catch-all"]);
        assert!(r.take_unread("a.pdf").is_some());
        assert!(r.take_read("a.pdf").is_none(), "taken before reading");
        assert!(r.take_unread("b.xml").is_none());
        assert!(r.take_read("b.xml").is_some());
        assert!(r.take_read("c.csv").is_some(), "catch-all");
        let empty = Router::new();
        assert!(empty.take_unread("a.pdf").is_none() && empty.take_read("b.xml").is_none());
    }
}
