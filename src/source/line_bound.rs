use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

/// Longest physical line the reader keeps; the rest of a longer line is dropped and its row
/// reported, so one runaway line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Line numbers (1-based) of the lines that were cut, in order. The bound and the parser that
/// consumes it live on one thread, hence `Rc`.
#[derive(Clone, Default)]
pub(crate) struct CutLines(Rc<RefCell<VecDeque<u64>>>);

impl CutLines {
    fn push(&self, line: u64) {
        self.0.borrow_mut().push_back(line);
    }

    /// True when a line in `start..end` was cut; forgets the lines before `end`.
    pub fn take_within(&self, start: u64, end: u64) -> bool {
        let mut lines = self.0.borrow_mut();
        let mut hit = false;
        while let Some(&line) = lines.front().filter(|&&l| l < end) {
            hit |= line >= start;
            lines.pop_front();
        }
        hit
    }
}

/// Bounds the length of every physical line that passes through it.
pub(crate) struct LineBound<R> {
    inner: R,
    limit: usize,
    line: u64,
    line_len: usize,
    dropping: bool,
    cut: CutLines,
}

impl<R: Read> LineBound<R> {
    pub fn new(inner: R, limit: usize) -> (Self, CutLines) {
        let cut = CutLines::default();
        let bound = Self {
            inner,
            limit,
            line: 1,
            line_len: 0,
            dropping: false,
            cut: cut.clone(),
        };
        (bound, cut)
    }

    /// Keeps at most `limit` bytes of each line, compacting `buf[..n]` in place.
    fn filter(&mut self, buf: &mut [u8], n: usize) -> usize {
        let mut read = 0;
        let mut write = 0;
        while read < n {
            let newline = memchr::memchr(b'\n', &buf[read..n]).map(|i| read + i);
            let segment_end = newline.map_or(n, |i| i + 1);
            let content = newline.unwrap_or(n) - read;
            let room = self.limit.saturating_sub(self.line_len);
            let keep = if self.dropping { 0 } else { content.min(room) };
            if !self.dropping && content > room {
                self.dropping = true;
                self.cut.push(self.line);
            }
            self.line_len += content;
            let kept_newline = usize::from(newline.is_some());
            let span = keep + kept_newline;
            if write != read || keep != content {
                buf.copy_within(read..read + keep, write);
                if newline.is_some() {
                    buf[write + keep] = b'\n';
                }
            }
            write += span;
            if newline.is_some() {
                self.line += 1;
                self.line_len = 0;
                self.dropping = false;
            }
            read = segment_end;
        }
        write
    }
}

impl<R: Read> Read for LineBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let kept = self.filter(buf, n);
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(input: &[u8], limit: usize, chunk: usize) -> (Vec<u8>, Vec<u64>) {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let (mut reader, cut) = LineBound::new(Trickle(input, chunk), limit);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        let cut = cut.0.borrow().iter().copied().collect();
        (out, cut)
    }

    #[test]
    fn short_lines_pass_unchanged() {
        for chunk in [1, 3, 64] {
            assert_eq!(
                bounded(b"ab\ncd\n", 4, chunk),
                (b"ab\ncd\n".to_vec(), vec![])
            );
        }
    }

    #[test]
    fn long_lines_are_cut_and_reported() {
        for chunk in [1, 2, 5, 64] {
            let (out, cut) = bounded(b"ok\nabcdefgh\nfine\nxxxxxxx", 4, chunk);
            assert_eq!(out, b"ok\nabcd\nfine\nxxxx".to_vec(), "chunk {chunk}");
            assert_eq!(cut, vec![2, 4]);
        }
    }

    #[test]
    fn take_within_consumes_earlier_lines() {
        let cut = CutLines::default();
        cut.push(3);
        cut.push(9);
        assert!(!cut.take_within(1, 2));
        assert!(cut.take_within(2, 5));
        assert!(!cut.take_within(5, 9));
        assert!(cut.take_within(9, 10));
    }
}
