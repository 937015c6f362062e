//! Memory the host fills during one callback (`proxy_on_memory_allocate`).
//!
//! Values the host returns (the SNI, the authority) land in a fixed buffer that is reset when
//! the callback ends, so the request path never touches the heap. A value that does not fit
//! (a large plugin configuration, a huge header) is heap-allocated and freed at the same point.

use std::cell::{Cell, RefCell, UnsafeCell};

const SIZE: usize = 4096;

struct Arena {
    bytes: UnsafeCell<[u8; SIZE]>,
    used: Cell<usize>,
    overflow: RefCell<Vec<Box<[u8]>>>,
}

// SAFETY: wasm32 without the threads proposal runs one thread; nothing here is shared.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena {
    bytes: UnsafeCell::new([0; SIZE]),
    used: Cell::new(0),
    overflow: RefCell::new(Vec::new()),
};

/// Called by the host to place a value it returns to the module.
#[no_mangle]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    let used = ARENA.used.get();
    if let Some(end) = used.checked_add(size).filter(|&end| end <= SIZE) {
        ARENA.used.set(end);
        // SAFETY: `used..end` is inside the buffer and handed out once per callback.
        return unsafe { ARENA.bytes.get().cast::<u8>().add(used) };
    }
    let mut block = vec![0u8; size].into_boxed_slice();
    let ptr = block.as_mut_ptr();
    ARENA.overflow.borrow_mut().push(block);
    ptr
}

/// One callback's use of the arena: values fetched through it live until it is dropped.
pub struct Scratch(());

impl Scratch {
    pub fn begin() -> Scratch {
        Scratch(())
    }

    /// # Safety
    /// `data`/`size` must have come from `proxy_on_memory_allocate` during this callback
    /// (or be null), and the host must have written `size` bytes there.
    pub unsafe fn value(&self, data: *const u8, size: usize) -> &[u8] {
        if data.is_null() || size == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(data, size)
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        ARENA.used.set(0);
        let mut overflow = ARENA.overflow.borrow_mut();
        if !overflow.is_empty() {
            *overflow = Vec::new();
        }
    }
}
