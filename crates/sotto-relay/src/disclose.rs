//! The disclosure export: everything a relay's database holds about one account, found by
//! querying the file, so that nothing in the package is written by hand (docs/disclosure.md).
//!
//! [`export`] opens the SQLite file **read-only** (it works while a relay runs on it in WAL
//! mode, and reads one consistent snapshot) and walks every table it finds in
//! `sqlite_schema`, with the columns `pragma_table_info` lists, so a table added by a later
//! schema is exported without a change here. A row is selected when:
//!
//! 1. any of its values is a BLOB equal to the account's 16-byte id, or a 20-byte BLOB whose
//!    first 16 bytes are the id (an *address*: account id || device id, big-endian), whatever
//!    the column is called; or
//! 2. a column named one of [`ACCOUNT_COLUMNS`] (`account_id`, `owner`, `contact`,
//!    `originator`, `sender`, `recipient`, compared without regard to case) holds the id as
//!    above or as TEXT, its 32 hex digits in either case; or
//! 3. it has a column named `hash` whose value equals the `hash` of a row selected by 1 or 2
//!    in **another** table (so an account's `trace_log` rows bring the `trace` rows of the
//!    same hashes, which name the originator, and its `trace` rows bring the `trace_log` rows
//!    that record each send of its texts). This pass runs once, on the rows of the first.
//!
//! Withheld: the `meta` rows whose `key` is one of [`WITHHELD_META_KEYS`]: `trust_root_seed`
//! and `server_key_seed`, the seeds of the relay's own signing keys, which are not about any
//! account. Every other `meta` row follows the rules above (in a relay's database none holds
//! an account id). If a `meta` table has no `key` column, the whole table is withheld, since
//! its secrets cannot be told apart. SQLite's own tables (`sqlite_*`, such as
//! `sqlite_sequence`) are not read.
//!
//! Each table of the database is in the package, with its columns, even when no row was
//! selected: the package shows what was looked at. Values keep their SQLite type
//! ([`Value`]); [`Disclosure::to_json`] writes BLOBs as full lower-case hex and
//! [`Disclosure::to_markdown`] shortens BLOBs longer than [`MARKDOWN_BLOB_BYTES`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sotto_devices::AccountId;

/// The column names whose values are compared with the account id also as TEXT (its 32 hex
/// digits), besides the BLOB comparison every column gets. Compared without regard to case.
pub const ACCOUNT_COLUMNS: &[&str] = &[
    "account_id",
    "owner",
    "contact",
    "originator",
    "sender",
    "recipient",
];

/// The `meta` keys never exported: the seeds of the relay's trust root and server key.
pub const WITHHELD_META_KEYS: &[&str] = &["trust_root_seed", "server_key_seed"];

/// The tables a file must have to be taken for a relay's database.
pub const RELAY_TABLES: &[&str] = &["meta", "accounts", "devices"];

/// BLOBs longer than this many bytes are shortened in [`Disclosure::to_markdown`] (to the
/// hex of their first [`MARKDOWN_BLOB_BYTES`] bytes, `…` and the length); addresses (20 bytes)
/// and hashes (32 bytes) stay whole. JSON keeps every byte.
pub const MARKDOWN_BLOB_BYTES: usize = 32;

/// The column whose equal values link rows across tables (rule 3 in the module docs).
const HASH_COLUMN: &str = "hash";

/// The length of an address: account id (16 bytes) || device id (4 bytes, big-endian).
const ADDRESS_LEN: usize = 20;

/// Why the export failed. Each `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum DiscloseError {
    /// No file at the path.
    #[error("{}: no such file", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not a SQLite database, or not a relay's.
    #[error("{}: not a Sotto relay database ({reason})", path.display())]
    NotARelay {
        /// The path given.
        path: PathBuf,
        /// What was missing.
        reason: String,
    },
    /// SQLite refused to open or read the file.
    #[error("{}: sqlite: {source}", path.display())]
    Sqlite {
        /// The path given.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

/// One value as SQLite stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An INTEGER.
    Integer(i64),
    /// A REAL.
    Real(f64),
    /// TEXT.
    Text(String),
    /// A BLOB.
    Blob(Vec<u8>),
}

impl Value {
    fn from_ref(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Self::Null,
            ValueRef::Integer(i) => Self::Integer(i),
            ValueRef::Real(r) => Self::Real(r),
            ValueRef::Text(t) => Self::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Self::Blob(b.to_vec()),
        }
    }

    /// The value in JSON: `null`, `{"integer": N}`, `{"real": X}` (a non-finite REAL is
    /// `null` inside), `{"text": "..."}` or `{"blob": "hex"}` (every byte, lower-case hex).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let tagged = |tag: &str, v: serde_json::Value| {
            let mut map = serde_json::Map::new();
            map.insert(tag.to_owned(), v);
            serde_json::Value::Object(map)
        };
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Integer(i) => tagged("integer", (*i).into()),
            Self::Real(r) => tagged("real", (*r).into()),
            Self::Text(t) => tagged("text", t.as_str().into()),
            Self::Blob(b) => tagged("blob", hex::encode(b).into()),
        }
    }

    /// The value in a markdown table cell: `NULL`, the number, the escaped text, or the hex
    /// of a BLOB, shortened to `hex…(N bytes)` past [`MARKDOWN_BLOB_BYTES`].
    #[must_use]
    pub fn to_markdown(&self) -> String {
        match self {
            Self::Null => "NULL".to_owned(),
            Self::Integer(i) => i.to_string(),
            Self::Real(r) => r.to_string(),
            Self::Text(t) => markdown_cell(t),
            Self::Blob(b) if b.len() > MARKDOWN_BLOB_BYTES => format!(
                "{}…({} bytes)",
                hex::encode(&b[..MARKDOWN_BLOB_BYTES]),
                b.len()
            ),
            Self::Blob(b) => hex::encode(b),
        }
    }

    /// A key for sets of hash values (`None` for NULL, which links nothing).
    fn link_key(&self) -> Option<(u8, Vec<u8>)> {
        match self {
            Self::Null => None,
            Self::Integer(i) => Some((1, i.to_be_bytes().to_vec())),
            Self::Real(r) => Some((2, r.to_bits().to_be_bytes().to_vec())),
            Self::Text(t) => Some((3, t.as_bytes().to_vec())),
            Self::Blob(b) => Some((4, b.clone())),
        }
    }

    fn to_sql(&self) -> SqlValue {
        match self {
            Self::Null => SqlValue::Null,
            Self::Integer(i) => SqlValue::Integer(*i),
            Self::Real(r) => SqlValue::Real(*r),
            Self::Text(t) => SqlValue::Text(t.clone()),
            Self::Blob(b) => SqlValue::Blob(b.clone()),
        }
    }
}

/// Text escaped for one cell of a GitHub markdown table: `\` and `|` get a backslash, line
/// breaks become `<br>`.
#[must_use]
pub fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            other => out.push(other),
        }
    }
    out
}

/// Why a row is in the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A value names the account (rules 1 and 2 of the module docs).
    Account,
    /// Its `hash` equals the `hash` of a row selected in another table (rule 3).
    SharedHash,
}

impl Reason {
    /// `account` or `shared hash`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::SharedHash => "shared hash",
        }
    }
}

/// One selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedRow {
    /// Its values, in the table's column order.
    pub values: Vec<Value>,
    /// Why it was selected.
    pub reason: Reason,
}

/// One table of the database and its selected rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TableExport {
    /// The table's name.
    pub name: String,
    /// Its column names, in order.
    pub columns: Vec<String>,
    /// The selected rows: those that name the account first, then those that share a hash.
    pub rows: Vec<ExportedRow>,
}

/// Everything a relay's database holds about one account ([`export`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The account.
    pub account: AccountId,
    /// The database's `PRAGMA user_version`.
    pub schema_version: i64,
    /// Every table of the database, by name, with its selected rows.
    pub tables: Vec<TableExport>,
}

impl Disclosure {
    /// The table called `name`, if the database has one.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<&TableExport> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The package as JSON: `{"account": hex, "schema_version": N, "withheld_meta_keys":
    /// [...], "tables": [{"name", "columns": [...], "rows": [{"reason": "account" | "shared
    /// hash", "values": [...]}]}]}`, each value as [`Value::to_json`] writes it.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let tables: Vec<serde_json::Value> = self
            .tables
            .iter()
            .map(|table| {
                let rows: Vec<serde_json::Value> = table
                    .rows
                    .iter()
                    .map(|row| {
                        serde_json::json!({
                            "reason": row.reason.as_str(),
                            "values": row.values.iter().map(Value::to_json).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "name": table.name,
                    "columns": table.columns,
                    "rows": rows,
                })
            })
            .collect();
        serde_json::json!({
            "account": self.account.to_hex(),
            "schema_version": self.schema_version,
            "withheld_meta_keys": WITHHELD_META_KEYS,
            "tables": tables,
        })
    }

    /// The package as markdown: a title, then one section per table with its selected rows
    /// as a GitHub table (values as [`Value::to_markdown`] writes them; a last column *selected
    /// by* when some row was selected by a shared hash), or a line saying no row was
    /// selected.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# What the relay holds about account {}\n\nSchema version {}. Every table of the \
             database is listed; withheld: the `meta` keys {}.\n",
            self.account.to_hex(),
            self.schema_version,
            WITHHELD_META_KEYS
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for table in &self.tables {
            out.push_str(&format!("\n## {}\n\n", markdown_cell(&table.name)));
            if table.rows.is_empty() {
                out.push_str("No row.\n");
                continue;
            }
            let with_reason = table.rows.iter().any(|r| r.reason != Reason::Account);
            let mut header: Vec<String> = table.columns.iter().map(|c| markdown_cell(c)).collect();
            if with_reason {
                header.push("selected by".to_owned());
            }
            push_markdown_row(&mut out, &header);
            push_markdown_row(&mut out, &vec!["---".to_owned(); header.len()]);
            for row in &table.rows {
                let mut cells: Vec<String> = row.values.iter().map(Value::to_markdown).collect();
                if with_reason {
                    cells.push(row.reason.as_str().to_owned());
                }
                push_markdown_row(&mut out, &cells);
            }
        }
        out
    }
}

fn push_markdown_row(out: &mut String, cells: &[String]) {
    out.push('|');
    for cell in cells {
        out.push(' ');
        out.push_str(cell);
        out.push_str(" |");
    }
    out.push('\n');
}

/// `name` as an SQL identifier: in double quotes, inner quotes doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table as introspected.
struct Table {
    name: String,
    columns: Vec<String>,
}

impl Table {
    fn has_column(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The SQL condition of rules 1 and 2 (`?1` the id as a BLOB, `?2` its lower-case hex),
    /// and the withheld `meta` keys; `None` when the whole table is withheld.
    fn account_condition(&self) -> Option<String> {
        let mut alternatives = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let c = quote(column);
            alternatives.push(format!(
                "(typeof({c}) = 'blob' AND ({c} = ?1 OR (length({c}) = {ADDRESS_LEN} AND \
                 substr({c}, 1, 16) = ?1)))"
            ));
            if ACCOUNT_COLUMNS
                .iter()
                .any(|n| column.eq_ignore_ascii_case(n))
            {
                alternatives.push(format!("(typeof({c}) = 'text' AND lower({c}) = ?2)"));
            }
        }
        // `?2 IS NULL` is never true (the hex id is bound); it keeps ?2 in every statement,
        // so that each binds the same parameters whether or not a column is named for an
        // account.
        let mut condition = format!("({} OR ?2 IS NULL)", alternatives.join(" OR "));
        if self.name.eq_ignore_ascii_case("meta") {
            let key = quote(self.has_column("key")?);
            let withheld = WITHHELD_META_KEYS
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ");
            condition = format!("({condition} AND coalesce({key} NOT IN ({withheld}), 1))");
        }
        Some(condition)
    }
}

fn read_rows(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    width: usize,
    reason: Reason,
    into: &mut Vec<ExportedRow>,
) -> rusqlite::Result<()> {
    let mut rows = stmt.query(params)?;
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(Value::from_ref(row.get_ref(i)?));
        }
        into.push(ExportedRow { values, reason });
    }
    Ok(())
}

/// Exports everything the relay database at `path` holds about `account` (the rules are in
/// the module docs). The file is opened read-only and read in one transaction.
pub fn export(path: &Path, account: AccountId) -> Result<Disclosure, DiscloseError> {
    if !path.exists() {
        return Err(DiscloseError::Missing {
            path: path.to_owned(),
        });
    }
    let sqlite = |source: rusqlite::Error| {
        if source.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
            DiscloseError::NotARelay {
                path: path.to_owned(),
                reason: "not a SQLite database".to_owned(),
            }
        } else {
            DiscloseError::Sqlite {
                path: path.to_owned(),
                source,
            }
        }
    };
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    let tables = introspect(&tx).map_err(sqlite)?;
    let missing: Vec<&str> = RELAY_TABLES
        .iter()
        .copied()
        .filter(|name| !tables.iter().any(|t| t.name == *name))
        .collect();
    if !missing.is_empty() {
        return Err(DiscloseError::NotARelay {
            path: path.to_owned(),
            reason: format!("no table {}", missing.join(", ")),
        });
    }
    let schema_version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sqlite)?;
    let tables = select(&tx, &tables, account).map_err(sqlite)?;
    tx.finish().map_err(sqlite)?;
    Ok(Disclosure {
        account,
        schema_version,
        tables,
    })
}

/// Every table but SQLite's own, by name, with its columns in order.
fn introspect(conn: &Connection) -> rusqlite::Result<Vec<Table>> {
    let mut names = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' \
         ESCAPE '\\' ORDER BY name",
    )?;
    let names: Vec<String> = names
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut columns = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let cols: Vec<String> = columns
            .query_map([&name], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tables.push(Table {
            name,
            columns: cols,
        });
    }
    Ok(tables)
}

/// Rules 1 to 3 over every table.
fn select(
    conn: &Connection,
    tables: &[Table],
    account: AccountId,
) -> rusqlite::Result<Vec<TableExport>> {
    let id = account.to_bytes().to_vec();
    let id_hex = account.to_hex();
    let mut out = Vec::with_capacity(tables.len());
    // The hashes of the rows selected by rules 1 and 2, each with the table it came from
    // (once per table: `keys` holds what `hashes` has).
    let mut hashes: Vec<(Value, usize)> = Vec::new();
    let mut keys: BTreeSet<((u8, Vec<u8>), usize)> = BTreeSet::new();
    for (index, table) in tables.iter().enumerate() {
        let mut rows = Vec::new();
        if let Some(condition) = table.account_condition() {
            let sql = format!(
                "SELECT {} FROM {} WHERE {condition}",
                table.select_list(),
                quote(&table.name)
            );
            let mut stmt = conn.prepare(&sql)?;
            read_rows(
                &mut stmt,
                rusqlite::params![id, id_hex],
                table.columns.len(),
                Reason::Account,
                &mut rows,
            )?;
            if let Some(position) = table
                .columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(HASH_COLUMN))
            {
                for row in &rows {
                    let Some(value) = row.values.get(position) else {
                        continue;
                    };
                    if let Some(key) = value.link_key()
                        && keys.insert((key, index))
                    {
                        hashes.push((value.clone(), index));
                    }
                }
            }
        }
        out.push(TableExport {
            name: table.name.clone(),
            columns: table.columns.clone(),
            rows,
        });
    }
    // Rule 3: rows of other tables sharing a hash, not already selected.
    for (index, table) in tables.iter().enumerate() {
        let (Some(hash_column), Some(condition)) =
            (table.has_column(HASH_COLUMN), table.account_condition())
        else {
            continue;
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ?3 AND NOT coalesce({condition}, 0)",
            table.select_list(),
            quote(&table.name),
            quote(hash_column)
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut linked = Vec::new();
        let mut seen: BTreeSet<(u8, Vec<u8>)> = BTreeSet::new();
        for (value, from) in &hashes {
            if *from == index || !value.link_key().is_some_and(|key| seen.insert(key)) {
                continue;
            }
            read_rows(
                &mut stmt,
                rusqlite::params![id, id_hex, value.to_sql()],
                table.columns.len(),
                Reason::SharedHash,
                &mut linked,
            )?;
        }
        if let Some(export) = out.get_mut(index) {
            export.rows.extend(linked);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
