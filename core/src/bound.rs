//! Bounded decoding: how large Automerge bytes become once inflated, measured before Automerge
//! reads them.
//!
//! Hearth's size caps (a frame, a change file, a backup member) count the bytes as they arrive.
//! Automerge 0.12 inflates DEFLATE data with `read_to_end` and no bound of its own: a compressed
//! change chunk (type 2) is one DEFLATE stream, and any column of a document (type 0) or bundle
//! (type 3) chunk may be one. DEFLATE shrinks zeros about a thousand times, so a 2 MB change file
//! grew a process to 6.2 GB before Automerge refused it. Every path that hands bytes from a peer,
//! a file or a backup to Automerge therefore measures them here first and refuses what decodes to
//! more than [`MAX_DECODED`].
//!
//! The walk mirrors Automerge's chunk parser as far as it needs to find every DEFLATE stream, and
//! is at least as strict: whatever it cannot parse it refuses, so no stream it has not counted
//! can reach Automerge's inflater. Each stream is inflated through a reader limited to what is
//! left of the budget, into a sink: the memory it takes is fixed (the inflater's window and a
//! copy buffer), whatever the input claims.
//!
//! Change chunks (type 1) are counted as they are: Automerge refuses a change whose op columns
//! are marked deflated (`CompressedChangeCols`) before inflating anything, and the inflated body
//! of a type 2 chunk is such a change, so there is no DEFLATE inside either to look for.

use std::io::{self, Read};

/// The most bytes one input (a change file, a backup document, the changes of one sync message)
/// may decode to: the bytes as sent plus everything their DEFLATE streams inflate to.
///
/// A 20 000-item, ten-year journal is well under a tenth of this, and a frame may carry at most
/// 64 MiB as sent, so nothing Hearth writes comes near it; what does is a bomb.
pub const MAX_DECODED: u64 = 64 * 1024 * 1024;

/// The first bytes of every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The bit of a column specification that marks its data as DEFLATE-compressed.
const DEFLATE_BIT: u32 = 0b0000_1000;
/// A change hash's length.
const HASH_LEN: usize = 32;

/// Why bytes were refused before Automerge read them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InflationError {
    /// The bytes decode to more than the bound allows; decoding stopped at the bound.
    #[error(
        "{input} bytes would decode to more than {limit} bytes (at least {at_least}); \
         nothing Hearth writes is that large, so they were refused unread"
    )]
    TooLarge {
        /// The bound, in decoded bytes.
        limit: u64,
        /// How many decoded bytes were counted when decoding stopped (over `limit`).
        at_least: u64,
        /// The length of the input as sent.
        input: u64,
    },
    /// A chunk's header or metadata could not be parsed, so its size cannot be bounded.
    #[error("the Automerge chunk at byte {offset} is malformed: {what}")]
    Malformed {
        /// Where the chunk starts, counted from the start of the input (all parts together).
        offset: u64,
        /// What was wrong.
        what: &'static str,
    },
}

/// The decoded size of `bytes` (concatenated Automerge chunks, as `Journal::apply`,
/// `AutoCommit::load` and `load_incremental` take them), or why it is refused, under
/// [`MAX_DECODED`].
pub fn decoded_size(bytes: &[u8]) -> Result<u64, InflationError> {
    decoded_size_within(bytes, MAX_DECODED)
}

/// Like [`decoded_size`] with an explicit bound, in decoded bytes.
pub fn decoded_size_within(bytes: &[u8], limit: u64) -> Result<u64, InflationError> {
    decoded_size_of_all([bytes], limit)
}

/// The decoded size of several inputs that are decoded together (the change list of one sync
/// message), all counted against one bound: a message cannot pass by spreading its bomb over many
/// chunks.
pub fn decoded_size_of_all<'a>(
    parts: impl IntoIterator<Item = &'a [u8]>,
    limit: u64,
) -> Result<u64, InflationError> {
    let parts: Vec<&[u8]> = parts.into_iter().collect();
    let input = parts
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(len64(p.len())));
    let mut meter = Meter { limit, used: 0 };
    let mut base = 0u64;
    for part in parts {
        let mut at = 0usize;
        while at < part.len() {
            let offset = base.saturating_add(len64(at));
            let len = chunk(&part[at..], &mut meter).map_err(|e| match e {
                Fault::Over(at_least) => InflationError::TooLarge {
                    limit,
                    at_least,
                    input,
                },
                Fault::Bad(what) => InflationError::Malformed { offset, what },
            })?;
            // `chunk` returns at least the header's length, never more than it was given.
            at = at.saturating_add(len.max(1));
        }
        base = base.saturating_add(len64(part.len()));
    }
    Ok(meter.used)
}

/// Why one chunk stopped the walk; turned into an [`InflationError`] with the chunk's place.
enum Fault {
    /// Over the bound, with the count so far.
    Over(u64),
    /// Malformed, with what was wrong.
    Bad(&'static str),
}

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The running count against the bound.
struct Meter {
    limit: u64,
    used: u64,
}

impl Meter {
    fn add(&mut self, n: u64) -> Result<(), Fault> {
        self.used = self.used.saturating_add(n);
        if self.used > self.limit {
            return Err(Fault::Over(self.used));
        }
        Ok(())
    }

    /// Inflates one raw DEFLATE stream (as Automerge does: `flate2::bufread::DeflateDecoder`, up
    /// to the stream's end) into a sink, reading at most one byte more than the budget left.
    fn inflate(&mut self, stream: &[u8]) -> Result<(), Fault> {
        let room = self.limit.saturating_sub(self.used);
        let mut limited = flate2::bufread::DeflateDecoder::new(stream).take(room.saturating_add(1));
        let n = io::copy(&mut limited, &mut io::sink())
            .map_err(|_| Fault::Bad("a DEFLATE stream in it is corrupt"))?;
        self.add(n)
    }
}

/// A cursor over untrusted bytes: every read is checked, nothing indexes out of range.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Fault> {
        let end = self.at.checked_add(n).ok_or(Fault::Bad(what))?;
        let out = self.bytes.get(self.at..end).ok_or(Fault::Bad(what))?;
        self.at = end;
        Ok(out)
    }

    /// An unsigned LEB128 number, refused where Automerge refuses it (too large for 64 bits,
    /// or overlong), so both read the same value.
    fn uleb(&mut self, what: &'static str) -> Result<u64, Fault> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let byte = *self.take(1, what)?.first().ok_or(Fault::Bad(what))?;
            if i == 9 && byte > 1 {
                return Err(Fault::Bad("a number in it is too large"));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(Fault::Bad("a number in it is overlong"));
                }
                return Ok(value);
            }
        }
        Err(Fault::Bad("a number in it is too large"))
    }

    fn uleb_usize(&mut self, what: &'static str) -> Result<usize, Fault> {
        usize::try_from(self.uleb(what)?).map_err(|_| Fault::Bad(what))
    }

    /// A LEB128 count of length-prefixed byte strings (actor ids), skipped.
    fn skip_actors(&mut self) -> Result<(), Fault> {
        let count = self.uleb("its actor list is cut short")?;
        for _ in 0..count {
            let len = self.uleb_usize("an actor id in it is cut short")?;
            self.take(len, "an actor id in it is cut short")?;
        }
        Ok(())
    }

    /// A LEB128 count of change hashes, skipped.
    fn skip_hashes(&mut self) -> Result<(), Fault> {
        let what = "its list of change hashes is cut short";
        let count = self.uleb_usize(what)?;
        let len = count.checked_mul(HASH_LEN).ok_or(Fault::Bad(what))?;
        self.take(len, what)?;
        Ok(())
    }

    /// Column metadata (`RawColumns::parse`): a count, then (specification, length) pairs.
    fn columns(&mut self) -> Result<Columns, Fault> {
        let what = "its column metadata is cut short";
        let count = self.uleb(what)?;
        let mut columns = Columns::default();
        for _ in 0..count {
            let spec = u32::try_from(self.uleb(what)?)
                .map_err(|_| Fault::Bad("a column specification in it is too large"))?;
            let len = self.uleb_usize(what)?;
            columns.total = columns
                .total
                .checked_add(len)
                .ok_or(Fault::Bad("its columns are longer than it"))?;
            // Each pair took at least two bytes of input, so this list is no longer than it.
            columns.list.push((spec, len));
        }
        Ok(columns)
    }

    /// The data of `columns`, with each deflated column inflated through the meter.
    fn column_data(&mut self, columns: &Columns, meter: &mut Meter) -> Result<(), Fault> {
        let data = self.take(columns.total, "its column data is cut short")?;
        let mut at = 0usize;
        for &(spec, len) in &columns.list {
            let end = at
                .checked_add(len)
                .ok_or(Fault::Bad("its column data is cut short"))?;
            let column = data
                .get(at..end)
                .ok_or(Fault::Bad("its column data is cut short"))?;
            if spec & DEFLATE_BIT != 0 {
                meter.inflate(column)?;
            }
            at = end;
        }
        Ok(())
    }
}

/// One set of column metadata: each column's specification and length, and their total.
#[derive(Default)]
struct Columns {
    list: Vec<(u32, usize)>,
    total: usize,
}

/// Measures the chunk at the start of `bytes`; returns its length (header included).
fn chunk(bytes: &[u8], meter: &mut Meter) -> Result<usize, Fault> {
    let mut c = Cursor::new(bytes);
    let magic = c.take(4, "it is not Automerge data (too short)")?;
    if magic != MAGIC {
        return Err(Fault::Bad("it is not Automerge data (wrong magic bytes)"));
    }
    c.take(4, "its header is cut short")?;
    let kind = *c
        .take(1, "its header is cut short")?
        .first()
        .ok_or(Fault::Bad("its header is cut short"))?;
    let len = c.uleb_usize("its header is cut short")?;
    let body = c.take(len, "it is cut short (shorter than its header says)")?;
    let total = c.at;
    meter.add(len64(total))?;
    let mut body = Cursor::new(body);
    match kind {
        // Document: actors, heads, change column metadata, op column metadata, change data, op
        // data, then a suffix (head indices) with nothing compressed.
        0 => {
            body.skip_actors()?;
            body.skip_hashes()?;
            let changes = body.columns()?;
            let ops = body.columns()?;
            body.column_data(&changes, meter)?;
            body.column_data(&ops, meter)?;
        }
        // Change: nothing inside is ever inflated (see the module documentation).
        1 => {}
        // Compressed change: the whole body is one raw DEFLATE stream.
        2 => meter.inflate(body.bytes)?,
        // Bundle: dependencies, actors, change metadata and data, op metadata and data.
        3 => {
            body.skip_hashes()?;
            body.skip_actors()?;
            let changes = body.columns()?;
            body.column_data(&changes, meter)?;
            let ops = body.columns()?;
            body.column_data(&ops, meter)?;
        }
        _ => {
            return Err(Fault::Bad(
                "it is of a kind of chunk Automerge does not know",
            ));
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use automerge::{AutoCommit, ROOT, transaction::Transactable};
    use flate2::{Compression, write::DeflateEncoder};
    use proptest::prelude::*;

    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn uleb(out: &mut Vec<u8>, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0xde, 0xad, 0xbe, 0xef, kind]);
        uleb(&mut out, body.len() as u64);
        out.extend_from_slice(body);
        out
    }

    /// A raw DEFLATE stream of `mib` MiB of zeros, made without holding them: one MiB is
    /// compressed once and flushed (byte-aligned, not final; it refers to nothing before it), that
    /// block is repeated, and the encoder's final empty block ends the stream.
    fn zeros(mib: usize) -> Vec<u8> {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&vec![0u8; 1 << 20]).unwrap();
        enc.flush().unwrap();
        let block = enc.get_ref().clone();
        let whole = enc.finish().unwrap();
        let end = &whole[block.len()..];
        let mut out = Vec::with_capacity(block.len() * mib + end.len());
        for _ in 0..mib {
            out.extend_from_slice(&block);
        }
        out.extend_from_slice(end);
        out
    }

    fn journal_like() -> AutoCommit {
        let mut doc = AutoCommit::new();
        for i in 0..300 {
            doc.put(
                ROOT,
                format!("key{i}"),
                "a fairly repetitive value ".repeat(8),
            )
            .unwrap();
            doc.commit();
        }
        doc
    }

    #[test]
    fn the_zero_stream_inflates_to_what_it_says() {
        let stream = zeros(3);
        let mut d = flate2::bufread::DeflateDecoder::new(&stream[..]);
        assert_eq!(io::copy(&mut d, &mut io::sink()).unwrap(), 3 * MIB);
    }

    #[test]
    fn saved_documents_and_changes_pass_with_a_plausible_size() {
        let mut doc = journal_like();
        let saved = doc.save();
        let size = decoded_size(&saved).unwrap();
        // The columns inflate: more than sent, but not absurdly more.
        assert!(size > saved.len() as u64, "{size} vs {}", saved.len());
        assert!(size < 64 * saved.len() as u64, "{size} vs {}", saved.len());

        let uncompressed = doc.save_nocompress();
        // Every deflated column was found: the count covers the inflated document.
        assert!(size + 64 >= uncompressed.len() as u64, "{size}");
        assert_eq!(
            decoded_size(&uncompressed).unwrap(),
            uncompressed.len() as u64
        );

        let mut changes = Vec::new();
        for c in doc.get_changes(&[]) {
            changes.extend_from_slice(c.raw_bytes());
        }
        assert!(decoded_size(&changes).unwrap() >= changes.len() as u64);

        let mut more = doc.fork();
        let heads = doc.get_heads();
        more.put(ROOT, "late", "x".repeat(4000)).unwrap();
        more.commit();
        let incremental = more.save_after(&heads);
        assert!(decoded_size(&incremental).unwrap() >= incremental.len() as u64);
        assert_eq!(decoded_size(&[]).unwrap(), 0);
    }

    #[test]
    fn a_large_compressed_change_is_counted_inflated() {
        // A change big enough that Automerge stores it compressed (type 2).
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "big", "y".repeat(100_000)).unwrap();
        let mut change = doc.get_last_local_change().unwrap();
        let bytes = change.bytes().into_owned();
        assert!(bytes.len() < 10_000, "stored compressed: {}", bytes.len());
        let size = decoded_size(&bytes).unwrap();
        assert!(size > 100_000, "{size}");
        assert!(matches!(
            decoded_size_within(&bytes, 50_000),
            Err(InflationError::TooLarge { limit: 50_000, .. })
        ));
    }

    #[test]
    fn a_compressed_change_bomb_is_refused_quickly() {
        // 2 MB of DEFLATE that would inflate to 2 GiB.
        let bomb = frame(2, &zeros(2048));
        assert!(bomb.len() < 3 * 1024 * 1024, "{}", bomb.len());
        let start = Instant::now();
        let err = decoded_size(&bomb).unwrap_err();
        let took = start.elapsed();
        match err {
            InflationError::TooLarge {
                limit,
                at_least,
                input,
            } => {
                assert_eq!(limit, MAX_DECODED);
                assert!(at_least > MAX_DECODED);
                assert_eq!(input, bomb.len() as u64);
            }
            other => panic!("{other}"),
        }
        assert!(took < Duration::from_secs(5), "{took:?}");
        // The error says what happened, with the numbers.
        let text = err_text(&bomb);
        assert!(text.contains(&MAX_DECODED.to_string()), "{text}");
    }

    fn err_text(bytes: &[u8]) -> String {
        decoded_size(bytes).unwrap_err().to_string()
    }

    fn document_with_column(spec: u32, column: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        uleb(&mut body, 1); // one actor
        uleb(&mut body, 16);
        body.extend([7u8; 16]);
        uleb(&mut body, 0); // no heads
        uleb(&mut body, 1); // one change column
        uleb(&mut body, u64::from(spec));
        uleb(&mut body, column.len() as u64);
        uleb(&mut body, 0); // no op columns
        body.extend_from_slice(column);
        frame(0, &body)
    }

    #[test]
    fn a_document_with_a_deflated_column_bomb_is_refused() {
        let column = zeros(512);
        let bomb = document_with_column((1 << 4) | 1 | DEFLATE_BIT, &column);
        assert!(matches!(
            decoded_size(&bomb),
            Err(InflationError::TooLarge { .. })
        ));
        // The same bytes, not marked deflated, are just bytes.
        let plain = document_with_column((1 << 4) | 1, &column);
        assert_eq!(decoded_size(&plain).unwrap(), plain.len() as u64);
    }

    #[test]
    fn a_bundle_with_a_deflated_op_column_bomb_is_refused() {
        let column = zeros(100);
        let mut body = Vec::new();
        uleb(&mut body, 0); // no deps
        uleb(&mut body, 0); // no actors
        uleb(&mut body, 0); // no change columns
        uleb(&mut body, 1); // one op column
        uleb(&mut body, u64::from((2 << 4) | 2 | DEFLATE_BIT));
        uleb(&mut body, column.len() as u64);
        body.extend_from_slice(&column);
        let bomb = frame(3, &body);
        assert!(matches!(
            decoded_size_within(&bomb, 10 * MIB),
            Err(InflationError::TooLarge { .. })
        ));
        assert!(decoded_size_within(&bomb, 200 * MIB).unwrap() > 100 * MIB);
    }

    #[test]
    fn many_small_streams_share_one_budget() {
        let one = frame(2, &zeros(3));
        let parts = [one.as_slice(); 10];
        assert!(decoded_size_of_all(parts.iter().copied(), 40 * MIB).is_ok());
        assert!(matches!(
            decoded_size_of_all(parts.iter().copied(), 20 * MIB),
            Err(InflationError::TooLarge { .. })
        ));
        let joined = parts.concat();
        assert!(matches!(
            decoded_size_within(&joined, 20 * MIB),
            Err(InflationError::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_and_garbage_headers_are_errors() {
        let mut doc = journal_like();
        let saved = doc.save();
        for cut in [1, 4, 8, 9, 10, 20, saved.len() / 2, saved.len() - 1] {
            assert!(
                matches!(
                    decoded_size(&saved[..cut]),
                    Err(InflationError::Malformed { offset: 0, .. })
                ),
                "cut at {cut}"
            );
        }
        assert!(decoded_size(b"not automerge at all").is_err());
        // A good chunk then garbage: the garbage's place is named.
        let mut tail = saved.clone();
        tail.extend_from_slice(b"junk");
        match decoded_size(&tail) {
            Err(InflationError::Malformed { offset, .. }) => assert_eq!(offset, saved.len() as u64),
            other => panic!("{other:?}"),
        }
        // Lengths that overflow, overlong numbers, unknown kinds.
        let mut huge = MAGIC.to_vec();
        huge.extend([0, 0, 0, 0, 0]);
        huge.extend([0xff; 9]);
        huge.push(0x01);
        assert!(decoded_size(&huge).is_err());
        let mut overlong = MAGIC.to_vec();
        overlong.extend([0, 0, 0, 0, 1, 0x80, 0x00]);
        assert!(decoded_size(&overlong).is_err());
        assert!(decoded_size(&frame(9, b"")).is_err());
        // Column lengths that add past the end of memory.
        let mut body = Vec::new();
        uleb(&mut body, 0);
        uleb(&mut body, 0);
        uleb(&mut body, 2);
        uleb(&mut body, 1);
        uleb(&mut body, u64::MAX);
        uleb(&mut body, 2);
        uleb(&mut body, u64::MAX);
        uleb(&mut body, 0);
        assert!(decoded_size(&frame(0, &body)).is_err());
        // A corrupt DEFLATE stream.
        let mut corrupt = zeros(1);
        corrupt.truncate(corrupt.len() / 2);
        corrupt.extend([0xff; 16]);
        assert!(decoded_size(&frame(2, &corrupt)).is_err());
    }

    #[test]
    fn automerge_reads_what_passes() {
        // The walk and Automerge agree on Automerge's own output.
        let mut doc = journal_like();
        let saved = doc.save();
        decoded_size(&saved).unwrap();
        let mut loaded = AutoCommit::load(&saved).unwrap();
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    fn arb_chunk_start() -> impl Strategy<Value = Vec<u8>> {
        (0u8..5, proptest::collection::vec(any::<u8>(), 0..200)).prop_map(|(kind, rest)| {
            let mut out = MAGIC.to_vec();
            out.extend([1, 2, 3, 4, kind]);
            out.extend(rest);
            out
        })
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decoded_size_within(&bytes, 1 << 20);
        }

        #[test]
        fn random_chunks_never_panic(bytes in arb_chunk_start()) {
            let _ = decoded_size_within(&bytes, 1 << 20);
        }

        #[test]
        fn damaged_documents_never_panic(flip in 0usize..4096, byte in any::<u8>(), cut in 0usize..4096) {
            let mut saved = journal_like_small();
            let n = saved.len();
            saved[flip % n] = byte;
            saved.truncate(cut % (n + 1));
            let _ = decoded_size_within(&saved, 1 << 20);
        }
    }

    fn journal_like_small() -> Vec<u8> {
        thread_local! {
            static SAVED: Vec<u8> = {
                let mut doc = AutoCommit::new();
                for i in 0..20 {
                    doc.put(ROOT, format!("k{i}"), "some text that compresses ".repeat(20)).unwrap();
                    doc.commit();
                }
                doc.save()
            };
        }
        SAVED.with(Clone::clone)
    }
}
