//! Client-store rows (sotto-store-sqlite): writing and reading one sessions record of about
//! the size a device's sessions with one peer device take (1 KiB), through
//! [`SqliteBackend`] on a temporary file (WAL, [`Durability::Process`]: no sync per batch),
//! against [`MemoryBackend`] as the floor (the map insert or lookup and the copy of the
//! value, which any backend also pays).

use std::hint::black_box;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sotto_devices::store::{MemoryBackend, RecordBackend, RecordIndex, RecordKind, Write};
use sotto_store_sqlite::{Durability, SqliteBackend};

use crate::BenchError;
use crate::conversation::{KIB, SEED};
use crate::timing::{Routine, boxed};

/// The value size of the record written and read.
pub const RECORD_LEN: usize = KIB;

/// One backend with one sessions record, written or read per run.
struct Store<B> {
    backend: B,
    /// A one-write batch: the record at its index.
    batch: [Write; 1],
    index: RecordIndex,
    read: bool,
    /// Keeps the SQLite file's directory until the routine is dropped.
    _dir: Option<tempfile::TempDir>,
}

impl<B: RecordBackend> Store<B> {
    fn new(mut backend: B, dir: Option<tempfile::TempDir>, read: bool) -> Result<Self, BenchError> {
        let mut rng = StdRng::seed_from_u64(SEED);
        let mut index = [0u8; 32];
        rng.fill_bytes(&mut index);
        let index = RecordIndex::from_bytes(index);
        let mut value = vec![0u8; RECORD_LEN];
        rng.fill_bytes(&mut value);
        let batch = [Write::Put {
            kind: RecordKind::Sessions,
            index,
            value,
        }];
        // Other records beside it, as in a device's store with a few peers.
        for i in 0..16u8 {
            backend.apply(&[Write::Put {
                kind: RecordKind::Sessions,
                index: RecordIndex::from_bytes([i; 32]),
                value: vec![i; RECORD_LEN],
            }])?;
        }
        backend.apply(&batch)?;
        Ok(Self {
            backend,
            batch,
            index,
            read,
            _dir: dir,
        })
    }
}

impl<B: RecordBackend> Routine for Store<B> {
    fn run(&mut self) -> Result<(), BenchError> {
        if self.read {
            let value = self.backend.get(RecordKind::Sessions, &self.index)?;
            if value.as_ref().map(Vec::len) != Some(RECORD_LEN) {
                return Err(BenchError::SetupScenario("sessions record missing"));
            }
            black_box(value);
        } else {
            self.backend.apply(black_box(&self.batch))?;
        }
        Ok(())
    }
}

fn sqlite(read: bool, durability: Durability) -> Result<Box<dyn Routine>, BenchError> {
    let dir = tempfile::tempdir()?;
    let backend = SqliteBackend::open(dir.path().join("bench.db"), durability)?;
    boxed(Store::new(backend, Some(dir), read)?)
}

fn memory(read: bool) -> Result<Box<dyn Routine>, BenchError> {
    boxed(Store::new(MemoryBackend::new(), None, read)?)
}

/// `SqliteBackend::apply` of one 1 KiB sessions record (one transaction, WAL, no sync).
pub fn sqlite_write() -> Result<Box<dyn Routine>, BenchError> {
    sqlite(false, Durability::Process)
}

/// The same with `Durability::PowerLoss`, the default: one sync of the WAL per batch.
pub fn sqlite_write_synced() -> Result<Box<dyn Routine>, BenchError> {
    sqlite(false, Durability::PowerLoss)
}

/// `SqliteBackend::get` of one 1 KiB sessions record.
pub fn sqlite_read() -> Result<Box<dyn Routine>, BenchError> {
    sqlite(true, Durability::Process)
}

/// `MemoryBackend::apply` of one 1 KiB sessions record: the floor of the write row.
pub fn memory_write() -> Result<Box<dyn Routine>, BenchError> {
    memory(false)
}

/// `MemoryBackend::get` of one 1 KiB sessions record: the floor of the read row.
pub fn memory_read() -> Result<Box<dyn Routine>, BenchError> {
    memory(true)
}
