//! The contact tables, one directory per shard: `contacts` (with each contact's global
//! index `c`, its stage entries and attributes), `touchpoints` (grouped by contact, in
//! the snapshot's order) and `stage_rows` (with each row's global position).

use crate::columns::{Columns, Read};
use crate::shared::{read_attributes, team, team_code, with_attributes};
use crate::{FilesError, Manifest, Tables, shard_of};
use arrow_array::types::{Int64Type, UInt8Type, UInt32Type};
use rayon::prelude::*;
use revline_engine::shard::ShardReads;
use revline_engine::snapshot::{NONE, Snapshot};
use std::path::{Path, PathBuf};

fn shard_dir(root: &Path, shard: u32) -> PathBuf {
    root.join(format!("shard-{shard:04}"))
}

pub(crate) fn write(s: &Snapshot, root: &Path, shards: u32) -> Result<(), FilesError> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); shards as usize];
    for (c, id) in s.contact_ids.iter().enumerate() {
        members[shard_of(id, shards) as usize].push(c as u32);
    }
    let mut rows_of: Vec<Vec<u64>> = vec![Vec::new(); shards as usize];
    for (row, &(contact, _, _)) in s.stage_rows.iter().enumerate() {
        let shard = shard_of(&s.contact_ids[contact as usize], shards);
        rows_of[shard as usize].push(row as u64);
    }
    members
        .par_iter()
        .zip(&rows_of)
        .enumerate()
        .try_for_each(|(shard, (contacts, rows))| {
            let dir = shard_dir(root, shard as u32);
            std::fs::create_dir_all(&dir).map_err(|e| FilesError::at(&dir, e))?;
            write_contacts(s, contacts, &dir.join("contacts.parquet"))?;
            write_touchpoints(s, contacts, &dir.join("touchpoints.parquet"))?;
            let at = |r: &u64| s.stage_rows[*r as usize];
            Columns::default()
                .u64("row", rows.iter().copied())
                .u32("contact", rows.iter().map(|r| at(r).0))
                .u32("stage", rows.iter().map(|r| at(r).1))
                .i64("at", rows.iter().map(|r| at(r).2))
                .write(&dir.join("stage_rows.parquet"))
        })
}

fn write_contacts(s: &Snapshot, members: &[u32], path: &Path) -> Result<(), FilesError> {
    let c = &s.contact;
    let rows = members.iter().map(|&i| i as usize);
    let k = s.stages.len();
    let mut cols = Columns::default()
        .u32("c", members.iter().copied())
        .str("id", rows.clone().map(|i| s.contact_ids[i].as_str()))
        .bool("loaded", rows.clone().map(|i| c.loaded[i]))
        .i64("created_at", rows.clone().map(|i| c.created_at[i]))
        .u32("account", rows.clone().map(|i| c.account[i]))
        .u32("owner", rows.clone().map(|i| c.owner[i]))
        .u32("source", rows.clone().map(|i| c.source[i]))
        .u32("lead_channel", rows.clone().map(|i| c.lead_channel[i]))
        .u32("lead_campaign", rows.clone().map(|i| c.lead_campaign[i]))
        .u32("first_channel", rows.clone().map(|i| c.first_channel[i]))
        .u32("source_channel", rows.clone().map(|i| c.source_channel[i]));
    for j in 0..k {
        cols = cols
            .i64(
                &format!("entered_{j}"),
                rows.clone().map(|i| s.entered[i * k + j]),
            )
            .bool(
                &format!("implied_{j}"),
                rows.clone().map(|i| s.implied[i * k + j]),
            )
            .u32(
                &format!("rework_{j}"),
                rows.clone().map(|i| s.rework[i * k + j]),
            );
    }
    with_attributes(cols, &c.attributes, rows).write(path)
}

fn write_touchpoints(s: &Snapshot, members: &[u32], path: &Path) -> Result<(), FilesError> {
    let tp = &s.touchpoints;
    let rows: Vec<usize> = members
        .iter()
        .flat_map(|&c| s.touches_of(c as usize))
        .collect();
    Columns::default()
        .u32("contact", rows.iter().map(|&i| tp.contact[i]))
        .i64("at", rows.iter().map(|&i| tp.at[i]))
        .u32("channel", rows.iter().map(|&i| tp.channel[i]))
        .u32("campaign", rows.iter().map(|&i| tp.campaign[i]))
        .u32("kind", rows.iter().map(|&i| tp.kind[i]))
        .u8("team", rows.iter().map(|&i| team_code(tp.team[i])))
        .write(path)
}

/// Puts row `r` of a column (given batch by batch) at `dest[at[r]]`.
fn put<T: Copy>(dest: &mut [T], at: &[usize], batches: Vec<&[T]>) {
    for (&c, &v) in at.iter().zip(batches.into_iter().flatten()) {
        dest[c] = v;
    }
}

/// Fills `base` (the shared tables) with every shard's contacts. The contacts files
/// are decoded a few at a time (one per core) and put in place before the next are
/// decoded, so the memory of one round is reused by the next; then the stage rows and
/// touchpoints.
pub(crate) fn read(
    m: &Manifest,
    root: &Path,
    mut s: Snapshot,
    tables: Tables,
) -> Result<Snapshot, FilesError> {
    let file = |shard: u32, table: &str| shard_dir(root, shard).join(format!("{table}.parquet"));
    let n = m.contacts as usize;
    let k = m.stages.len();
    let (mut own, mut cells) = contact_columns(&mut s, m, n);
    let mut seen = 0usize;
    let shards: Vec<u32> = (0..m.shards).collect();
    for round in shards.chunks(rayon::current_num_threads().max(1)) {
        let paths: Vec<PathBuf> = round.iter().map(|&i| file(i, "contacts")).collect();
        let decoded: Vec<Read> = paths
            .par_iter()
            .map(|p| Read::file(p))
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::with_capacity(decoded.len());
        for f in &decoded {
            let at = f.u32("c")?;
            if let Some(&bad) = at.iter().find(|&&i| i as usize >= n) {
                return Err(FilesError::at(
                    f.path(),
                    format!("contact index {bad} is past the manifest's {n} contacts"),
                ));
            }
            seen += at.len();
            rows.push(at.into_iter().map(|i| i as usize).collect::<Vec<_>>());
        }
        // Each side fills its own columns: the contacts' own on one core, their stage
        // entries on the other.
        let (a, b) = rayon::join(
            || own.place(m, &decoded, &rows),
            || cells.place(&decoded, &rows, k),
        );
        a?;
        b?;
    }
    if seen != n {
        return Err(FilesError::at(
            &root.join("shard-*"),
            format!("the shards hold {seen} contacts; the manifest says {n}"),
        ));
    }
    own.finish(m);
    let rest: Vec<(PathBuf, PathBuf)> = shards
        .iter()
        .map(|&i| (file(i, "stage_rows"), file(i, "touchpoints")))
        .collect();
    let decoded: Vec<(Read, Option<Read>)> = rest
        .par_iter()
        .map(|(rows, touches)| {
            let touches = match tables {
                Tables::All => Some(Read::file(touches)?),
                Tables::WithoutTouchpoints => None,
            };
            Ok((Read::file(rows)?, touches))
        })
        .collect::<Result<_, FilesError>>()?;
    read_stage_rows(&mut s.stage_rows, decoded.iter().map(|d| &d.0))?;
    let whole = |c: u32| ((c as usize) < n).then_some(c as usize);
    read_touchpoints(
        &mut s.touchpoints,
        decoded.iter().filter_map(|d| d.1.as_ref()),
        n,
        whole,
    )?;
    Ok(s)
}

/// Fills `base` with the contacts of one shard alone, numbered from 0 in the file's
/// order, with their stage entries and, as `reads` asks, their touchpoints and stage
/// rows (whose `contact` is then the number here). Returns each contact's index in
/// the workspace, ascending as the file holds them.
pub(crate) fn read_one(
    m: &Manifest,
    root: &Path,
    mut s: Snapshot,
    shard: u32,
    reads: ShardReads,
) -> Result<(Snapshot, Vec<u32>), FilesError> {
    let path = shard_dir(root, shard).join("contacts.parquet");
    let decoded = [Read::file(&path)?];
    let n = decoded[0].rows();
    let k = m.stages.len();
    let global = decoded[0].u32("c")?;
    if let Some(w) = global.windows(2).find(|w| w[0] >= w[1]) {
        return Err(FilesError::at(
            &path,
            format!("contact index {} follows {}: not in order", w[1], w[0]),
        ));
    }
    if let Some(&bad) = global.last().filter(|&&c| c as u64 >= m.contacts) {
        return Err(FilesError::at(
            &path,
            format!(
                "contact index {bad} is past the manifest's {} contacts",
                m.contacts
            ),
        ));
    }
    let (mut own, mut cells) = contact_columns(&mut s, m, n);
    // The manifest's attribute lengths count the whole snapshot's contacts.
    own.attributes = m.contact_attributes.iter().map(|_| vec![NONE; n]).collect();
    let rows = [(0..n).collect::<Vec<usize>>()];
    own.place(m, &decoded, &rows)?;
    cells.place(&decoded, &rows, k)?;
    own.finish(m);
    let local = |c: u32| global.binary_search(&c).ok();
    if reads.touchpoints {
        let path = shard_dir(root, shard).join("touchpoints.parquet");
        let f = Read::file(&path)?;
        read_touchpoints(&mut s.touchpoints, std::iter::once(&f), n, local)?;
    }
    if reads.stage_rows {
        let path = shard_dir(root, shard).join("stage_rows.parquet");
        let f = Read::file(&path)?;
        let (contact, stage, at) = (f.u32("contact")?, f.u32("stage")?, f.i64("at")?);
        // Written in the workspace's order, which is kept; contacts numbered here.
        for r in 0..contact.len() {
            let c = local(contact[r]).ok_or_else(|| {
                FilesError::at(
                    f.path(),
                    format!("row {r}: contact {} is not in this shard", contact[r]),
                )
            })?;
            s.stage_rows.push((c as u32, stage[r], at[r]));
        }
    }
    Ok((s, global))
}

/// The contacts' own columns, filled shard by shard.
struct Contacts<'s> {
    ids: &'s mut Vec<String>,
    c: &'s mut revline_engine::snapshot::Contacts,
    attributes: Vec<Vec<u32>>,
}

impl<'s> Contacts<'s> {
    fn new(
        m: &Manifest,
        n: usize,
        ids: &'s mut Vec<String>,
        c: &'s mut revline_engine::snapshot::Contacts,
    ) -> Contacts<'s> {
        *ids = vec![String::new(); n];
        c.loaded = vec![false; n];
        c.created_at = vec![0; n];
        for column in [
            &mut c.account,
            &mut c.owner,
            &mut c.source,
            &mut c.lead_channel,
            &mut c.lead_campaign,
            &mut c.first_channel,
            &mut c.source_channel,
        ] {
            *column = vec![NONE; n];
        }
        let attributes = m
            .contact_attributes
            .iter()
            .map(|(_, len)| vec![NONE; *len])
            .collect();
        Contacts { ids, c, attributes }
    }

    fn place(
        &mut self,
        m: &Manifest,
        files: &[Read],
        rows: &[Vec<usize>],
    ) -> Result<(), FilesError> {
        let c = &mut *self.c;
        for (f, rows) in files.iter().zip(rows) {
            for (&i, id) in rows.iter().zip(f.str("id")?) {
                self.ids[i] = id;
            }
            for (&i, loaded) in rows.iter().zip(f.bool("loaded")?) {
                c.loaded[i] = loaded;
            }
            put(
                &mut c.created_at,
                rows,
                f.slices::<Int64Type>("created_at")?,
            );
            put(&mut c.account, rows, f.slices::<UInt32Type>("account")?);
            put(&mut c.owner, rows, f.slices::<UInt32Type>("owner")?);
            put(&mut c.source, rows, f.slices::<UInt32Type>("source")?);
            put(
                &mut c.lead_channel,
                rows,
                f.slices::<UInt32Type>("lead_channel")?,
            );
            put(
                &mut c.lead_campaign,
                rows,
                f.slices::<UInt32Type>("lead_campaign")?,
            );
            put(
                &mut c.first_channel,
                rows,
                f.slices::<UInt32Type>("first_channel")?,
            );
            put(
                &mut c.source_channel,
                rows,
                f.slices::<UInt32Type>("source_channel")?,
            );
            let read = read_attributes(f, &m.contact_attributes)?;
            for (column, from) in self.attributes.iter_mut().zip(read.columns()) {
                for (r, &i) in rows.iter().enumerate() {
                    if let Some(cell) = column.get_mut(i) {
                        *cell = from.get(r).copied().unwrap_or(NONE);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self, m: &Manifest) {
        self.c.attributes = revline_engine::attributes::Attributes::from_columns(
            m.contact_attributes
                .iter()
                .map(|(k, _)| k.clone())
                .collect(),
            self.attributes,
        );
    }
}

/// The contact columns of `s` and its stage cells, made ready for `n` contacts: what
/// every shard's contacts file fills.
fn contact_columns<'s>(
    s: &'s mut Snapshot,
    m: &Manifest,
    n: usize,
) -> (Contacts<'s>, StageCells<'s>) {
    let cells = n * m.stages.len();
    let Snapshot {
        contact_ids,
        contact,
        entered,
        implied,
        rework,
        ..
    } = s;
    *entered = vec![0; cells];
    *implied = vec![false; cells];
    *rework = vec![0; cells];
    (
        Contacts::new(m, n, contact_ids, contact),
        StageCells {
            entered,
            implied,
            rework,
        },
    )
}

/// `contacts x stages` cells, row-major.
struct StageCells<'s> {
    entered: &'s mut [i64],
    implied: &'s mut [bool],
    rework: &'s mut [u32],
}

impl StageCells<'_> {
    fn place(&mut self, files: &[Read], rows: &[Vec<usize>], k: usize) -> Result<(), FilesError> {
        place_stage_cells(files, rows, k, self.entered, self.implied, self.rework)
    }
}

/// `contacts x stages`, row-major: each file's column `entered_j` (and `implied_j`,
/// `rework_j`) goes to cell `contact * k + j`.
fn place_stage_cells(
    files: &[Read],
    rows: &[Vec<usize>],
    k: usize,
    entered: &mut [i64],
    implied: &mut [bool],
    rework: &mut [u32],
) -> Result<(), FilesError> {
    for (f, rows) in files.iter().zip(rows) {
        for j in 0..k {
            let cells: Vec<usize> = rows.iter().map(|&i| i * k + j).collect();
            put(
                entered,
                &cells,
                f.slices::<Int64Type>(&format!("entered_{j}"))?,
            );
            put(
                rework,
                &cells,
                f.slices::<UInt32Type>(&format!("rework_{j}"))?,
            );
            for (&cell, value) in cells.iter().zip(f.bool(&format!("implied_{j}"))?) {
                implied[cell] = value;
            }
        }
    }
    Ok(())
}

/// Touchpoints laid out by contact: counted, then each shard's rows put after the
/// contact's start (a shard holds a contact's touchpoints together, in order).
/// `index` gives the number here of a file's contact (`None`: not among the `n` read).
fn read_touchpoints<'r>(
    tp: &mut revline_engine::snapshot::Touchpoints,
    files: impl Iterator<Item = &'r Read<'r>> + Clone,
    n: usize,
    index: impl Fn(u32) -> Option<usize>,
) -> Result<(), FilesError> {
    let mut start = vec![0u32; n + 1];
    for f in files.clone() {
        for &c in f.slices::<UInt32Type>("contact")?.into_iter().flatten() {
            let Some(i) = index(c) else {
                return Err(FilesError::at(
                    f.path(),
                    format!("a touchpoint of contact {c}, not among the {n} contacts read"),
                ));
            };
            start[i + 1] += 1;
        }
    }
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let total = start[n] as usize;
    tp.contact = vec![0; total];
    tp.at = vec![0; total];
    tp.channel = vec![0; total];
    tp.campaign = vec![0; total];
    tp.kind = vec![0; total];
    tp.team = vec![revline_engine::snapshot::Team::Marketing; total];
    let mut next = start.clone();
    for f in files {
        let contact = f.slices::<UInt32Type>("contact")?;
        let at = f.slices::<Int64Type>("at")?;
        let channel = f.slices::<UInt32Type>("channel")?;
        let campaign = f.slices::<UInt32Type>("campaign")?;
        let kind = f.slices::<UInt32Type>("kind")?;
        let teams = f.slices::<UInt8Type>("team")?;
        // Every column of a file is cut into the same batches.
        for b in 0..contact.len() {
            for r in 0..contact[b].len() {
                let c = index(contact[b][r]).expect("counted above");
                let i = next[c] as usize;
                next[c] += 1;
                tp.contact[i] = c as u32;
                tp.at[i] = at[b][r];
                tp.channel[i] = channel[b][r];
                tp.campaign[i] = campaign[b][r];
                tp.kind[i] = kind[b][r];
                tp.team[i] = team(teams[b][r]);
            }
        }
    }
    tp.start = start;
    Ok(())
}

fn read_stage_rows<'r>(
    out: &mut Vec<(u32, u32, i64)>,
    files: impl Iterator<Item = &'r Read<'r>> + Clone,
) -> Result<(), FilesError> {
    let total: usize = files.clone().map(Read::rows).sum();
    let mut rows = vec![(0u32, 0u32, 0i64); total];
    for f in files {
        let (row, contact, stage, at) = (
            f.u64("row")?,
            f.u32("contact")?,
            f.u32("stage")?,
            f.i64("at")?,
        );
        for r in 0..row.len() {
            let cell = rows.get_mut(row[r] as usize).ok_or_else(|| {
                FilesError::at(
                    f.path(),
                    format!("row {} past the {total} stage rows", row[r]),
                )
            })?;
            *cell = (contact[r], stage[r], at[r]);
        }
    }
    *out = rows;
    Ok(())
}
