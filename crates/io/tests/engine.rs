//! The import engine on a real store: rows generated as they are read (nothing
//! holds the whole file), several batches, and a second run that finds every row.

use std::io::Read;

use rapport_domain::Kind;
use rapport_io::import::{Counts, Observer, RowReport};
use rapport_io::{Mode, Options};
use rapport_store::{ListQuery, Options as StoreOptions, Scope, Store, Via};

/// A CSV file of `rows` people, produced a line at a time.
struct Generated {
    next: usize,
    rows: usize,
    pending: Vec<u8>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.next > self.rows {
                return Ok(0);
            }
            self.pending = if self.next == 0 {
                b"Record ID;First Name;Last Name;Email;Company\n".to_vec()
            } else {
                let i = self.next;
                format!("P-{i};Person;N\u{00e9}{i};p{i}@example.org;Company {}\n", i % 7).into_bytes()
            };
            self.next += 1;
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[derive(Default)]
struct Batches(Vec<Counts>, u64);

impl Observer for Batches {
    fn row(&mut self, r: &RowReport) {
        if r.action == "failed" {
            self.1 += 1;
        }
    }
    fn progress(&mut self, c: &Counts) {
        self.0.push(c.clone());
    }
}

async fn count(store: &Store, scope: &Scope, kind: Kind) -> usize {
    let mut q = ListQuery { limit: 500, ..ListQuery::default() };
    let mut n = 0;
    loop {
        let page = store.list(scope, kind, &q).await.unwrap();
        n += page.items.len();
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return n,
        }
    }
}

#[tokio::test]
async fn a_generated_file_imports_in_batches_and_again_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()), &StoreOptions::default()).await.unwrap();
    let ws = store.create_workspace("T", "EUR", "FR").await.unwrap();
    let scope = Scope::system(ws.id, Via::Cli);
    let rows = 600;
    let opts = Options { batch_size: 200, ..Options::new(Kind::Person) };
    for round in 0..2 {
        let reader = rapport_io::source::open(Generated { next: 0, rows, pending: vec![] }, Some("people.csv"), None).unwrap();
        assert_eq!(reader.delimiter, Some(b';'));
        let mut obs = Batches::default();
        let s = rapport_io::import::run(&store, &scope, reader, &opts, &mut obs, None).await.unwrap();
        assert_eq!(obs.1, 0, "round {round}: no failures");
        assert_eq!(s.counts.rows, rows as u64);
        assert_eq!(obs.0.len(), rows.div_ceil(200), "one transaction per batch");
        if round == 0 {
            assert_eq!((s.counts.created, s.counts.skipped), (rows as u64, 0));
            assert_eq!(s.counts.organizations_created, 7);
        } else {
            assert_eq!((s.counts.created, s.counts.updated, s.counts.skipped), (0, 0, rows as u64));
        }
    }
    assert_eq!(count(&store, &scope, Kind::Person).await, rows);
    assert_eq!(count(&store, &scope, Kind::Organization).await, 7);

    // All or nothing: one bad row at the end undoes the whole file.
    let mut text = String::from("First Name,Email\n");
    for i in 0..300 {
        text.push_str(&format!("New{i},new{i}@example.org\n"));
    }
    text.push_str("Bad,not-an-email\n");
    let reader = rapport_io::source::open(std::io::Cursor::new(text.into_bytes()), None, None).unwrap();
    let opts = Options { mode: Mode::AllOrNothing, batch_size: 100, ..Options::new(Kind::Person) };
    let s = rapport_io::import::run(&store, &scope, reader, &opts, &mut Batches::default(), None).await.unwrap();
    assert!(!s.committed);
    assert_eq!((s.counts.created, s.counts.failed), (300, 1));
    assert_eq!(count(&store, &scope, Kind::Person).await, rows, "nothing of it was kept");
}
