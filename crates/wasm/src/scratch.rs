//! Memory the host fills during one callback (`proxy_on_memory_allocate`).
//!
//! Values the host returns (the SNI, the authority) land in a fixed buffer that is reset when
//! the callback ends, so the request path never touches the heap. A value that does not fit
//! (a large plugin configuration, a huge header) is heap-allocated and freed at the same point.
//! One [`Scratch`] holds the buffer at a time: a second one would hand out memory the first
//! still reads, so it is refused.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;

const SIZE: usize = 4096;

struct Arena {
    bytes: UnsafeCell<[u8; SIZE]>,
    used: Cell<usize>,
    overflow: RefCell<Vec<Box<[u8]>>>,
    held: Cell<bool>,
}

thread_local! {
    // wasm32 without the threads proposal has one thread: a plain static there.
    static ARENA: Arena = const {
        Arena {
            bytes: UnsafeCell::new([0; SIZE]),
            used: Cell::new(0),
            overflow: RefCell::new(Vec::new()),
            held: Cell::new(false),
        }
    };
}

/// Room for `size` bytes the host is about to write.
pub fn allocate(size: usize) -> *mut u8 {
    ARENA.with(|arena| {
        let used = arena.used.get();
        if let Some(end) = used.checked_add(size).filter(|&end| end <= SIZE) {
            arena.used.set(end);
            // SAFETY: `used..end` is inside the buffer and handed out once per callback.
            return unsafe { arena.bytes.get().cast::<u8>().add(used) };
        }
        let mut block = vec![0u8; size].into_boxed_slice();
        let ptr = block.as_mut_ptr();
        arena.overflow.borrow_mut().push(block);
        ptr
    })
}

/// A [`Scratch`] was begun while another one was alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nested;

impl fmt::Display for Nested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a callback began while another one held the scratch buffer")
    }
}

/// One callback's use of the buffer: values fetched through it live until it is dropped.
pub struct Scratch {
    _one_thread: PhantomData<*const ()>,
}

impl Scratch {
    pub fn begin() -> Result<Scratch, Nested> {
        ARENA.with(|arena| match arena.held.replace(true) {
            true => Err(Nested),
            false => Ok(Scratch {
                _one_thread: PhantomData,
            }),
        })
    }

    /// # Safety
    /// `data`/`size` must have come from [`allocate`] during this scratch's life (or be
    /// null), and the host must have written `size` bytes there.
    pub unsafe fn value(&self, data: *const u8, size: usize) -> &[u8] {
        if data.is_null() || size == 0 {
            &[]
        } else {
            // SAFETY: the caller's contract: `size` bytes written at `data`, which the arena
            // holds until this scratch is dropped, and `&self` borrows the scratch as long.
            unsafe { std::slice::from_raw_parts(data, size) }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        ARENA.with(|arena| {
            arena.used.set(0);
            let mut overflow = arena.overflow.borrow_mut();
            if !overflow.is_empty() {
                *overflow = Vec::new();
            }
            arena.held.set(false);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the host does: room, then the bytes written there.
    fn host_writes<'s>(scratch: &'s Scratch, bytes: &[u8]) -> &'s [u8] {
        let at = allocate(bytes.len());
        // SAFETY: `at` has room for `bytes.len()` bytes, handed out for this scratch.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len());
            scratch.value(at, bytes.len())
        }
    }

    #[test]
    fn a_second_scratch_is_refused_while_the_first_lives() {
        let first = Scratch::begin().unwrap();
        assert_eq!(Scratch::begin().err(), Some(Nested));
        drop(first);
        assert!(Scratch::begin().is_ok());
    }

    #[test]
    fn values_do_not_overlap_and_the_buffer_is_reused_after_the_callback() {
        let scratch = Scratch::begin().unwrap();
        let start = allocate(0);
        let a = host_writes(&scratch, b"a.example.com");
        let b = host_writes(&scratch, b"b.example.com");
        assert_eq!((a, b), (&b"a.example.com"[..], &b"b.example.com"[..]));
        assert_eq!(a.as_ptr(), start.cast_const());
        drop(scratch);
        let _again = Scratch::begin().unwrap();
        assert_eq!(allocate(1), start);
    }

    #[test]
    fn a_value_larger_than_the_buffer_goes_to_the_heap() {
        let scratch = Scratch::begin().unwrap();
        let big = vec![b'x'; SIZE + 1];
        let value = host_writes(&scratch, &big);
        assert_eq!(value, &big[..]);
        ARENA.with(|arena| assert_eq!(arena.overflow.borrow().len(), 1));
        drop(scratch);
        ARENA.with(|arena| assert!(arena.overflow.borrow().is_empty()));
    }

    #[test]
    fn null_or_empty_is_an_empty_value() {
        let scratch = Scratch::begin().unwrap();
        // SAFETY: null is allowed.
        assert_eq!(unsafe { scratch.value(std::ptr::null(), 3) }, b"");
    }
}
