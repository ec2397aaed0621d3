//! Secrets generated once per install and kept in the database: the key CSRF tokens are
//! signed with. Generated from the operating system's randomness on first use; never
//! shown, never changed (so a restart does not expire forms already open).

use rusqlite::params;

use super::{Store, StoreError};

/// How many random bytes a new secret has.
const SECRET_BYTES: usize = 32;

impl Store {
    /// The install's secret called `name`, generated and stored the first time it is asked for.
    pub fn install_secret(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let mut fresh = [0u8; SECRET_BYTES];
        getrandom::fill(&mut fresh).expect("the operating system provides randomness");
        self.write_reporting("reading the install secret", |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO install_secrets (name, value) VALUES (?1, ?2)",
                params![name, &fresh[..]],
            )?;
            let value: Vec<u8> = tx.query_row(
                "SELECT value FROM install_secrets WHERE name = ?1",
                [name],
                |row| row.get(0),
            )?;
            // Nothing a page shows changed.
            Ok((value, false))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let store = Store::open(&path).unwrap();
        let generation = store.generation();
        let first = store.install_secret("csrf").unwrap();
        assert_eq!(first.len(), SECRET_BYTES);
        assert_eq!(store.install_secret("csrf").unwrap(), first);
        assert_ne!(store.install_secret("other").unwrap(), first);
        assert_eq!(
            store.generation(),
            generation,
            "a secret is not a visible change"
        );
        drop(store);
        assert_eq!(
            Store::open(&path).unwrap().install_secret("csrf").unwrap(),
            first
        );
    }
}
