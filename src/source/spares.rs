//! Buffers handed back for reuse between the threads of a pass.
//!
//! A chunk's buffers are a few hundred KiB each, past the size the allocator serves from its
//! heap, so every fresh one is mapped from the kernel and faulted in page by page: a tenth of a
//! pass's time went to that before the buffers were passed round again.

use std::sync::Mutex;

pub(super) struct Spares<T>(Mutex<Vec<T>>);

impl<T> Default for Spares<T> {
    fn default() -> Self {
        Spares(Mutex::new(Vec::new()))
    }
}

impl<T> Spares<T> {
    /// A buffer given back earlier, if any.
    pub(super) fn take(&self) -> Option<T> {
        // A poisoned lock only means another thread panicked while pushing or popping; the
        // list is still a list of whole buffers.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    pub(super) fn give(&self, spare: T) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_given_is_taken_again() {
        let spares = Spares::default();
        assert_eq!(spares.take(), None::<Vec<u8>>);
        spares.give(Vec::with_capacity(64));
        let again = spares.take().expect("the buffer given");
        assert!(again.capacity() >= 64);
        assert_eq!(spares.take(), None);
    }
}
