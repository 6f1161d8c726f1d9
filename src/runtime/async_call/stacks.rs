//! Where async calls' fiber stacks come from, and where they go after.
//!
//! One `AsyncStacks` per engine, made from its config:
//!
//! - **On demand** (the default): a stack of `async_stack_size` bytes
//!   (plus `HOST_HEADROOM` for host functions) is mapped for a call that
//!   finds none free; a finished call's stack is
//!   kept for the next one, up to `ON_DEMAND_CACHED` of them, so a loop of
//!   short async calls maps nothing. Unbounded otherwise.
//! - **Pooling** (`allocation_strategy` pooling): at most `total_stacks`
//!   stacks are in use at once; a call past that fails with an error
//!   naming the option. Freed stacks are reused, zeroed first when
//!   `async_stack_zeroing` is on (the top `async_stack_keep_resident`
//!   bytes by hand, kept resident; the rest decommitted).
//! - **The embedder's** (`with_host_stack`): each call asks the
//!   `StackCreator` for a stack and releases it when the call ends, so
//!   the embedder pools as it likes.

use crate::config::{Config, InstanceAllocationStrategy, StackCreator, StackMemory};
use crate::runtime::fiber::FiberStack;
use anyhow::{bail, Result};
use std::sync::{Arc, Mutex, MutexGuard};

/// Finished stacks kept for reuse when allocating on demand.
const ON_DEMAND_CACHED: usize = 16;

/// Bytes the runtime's own stacks have beyond `async_stack_size`, so that
/// host functions called by wasm that used all of `max_wasm_stack` still
/// have room even when the two sizes are equal (which the reference
/// allows). Address space only, like the rest of an untouched stack.
const HOST_HEADROOM: usize = 64 * 1024;

/// The stack alignment fibers need (both supported ABIs).
const STACK_ALIGN: usize = 16;

enum Source {
    OnDemand,
    Pooled {
        total: usize,
        zeroing: bool,
        keep_resident: usize,
    },
    Custom(Arc<dyn StackCreator>),
}

#[derive(Default)]
struct State {
    /// Stacks of finished calls, ready for the next.
    free: Vec<FiberStack>,
    /// Stacks handed out and not given back.
    in_use: usize,
}

/// An engine's supply of fiber stacks.
pub(crate) struct AsyncStacks {
    /// Usable bytes of every stack (`async_stack_size`).
    size: usize,
    source: Source,
    state: Mutex<State>,
}

impl AsyncStacks {
    /// The supply `config` describes.
    pub(crate) fn new(config: &Config) -> AsyncStacks {
        let source = if let Some(creator) = config.with_host_stack() {
            Source::Custom(creator.clone())
        } else if let InstanceAllocationStrategy::Pooling(p) = config.allocation_strategy() {
            Source::Pooled {
                total: p.total_stacks as usize,
                zeroing: p.async_stack_zeroing,
                keep_resident: p.async_stack_keep_resident,
            }
        } else {
            Source::OnDemand
        };
        AsyncStacks {
            size: config.async_stack_size(),
            source,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update is a push, a pop or a count: consistent even after
        // a panic elsewhere.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stack for a new async call.
    pub(crate) fn take(&self) -> Result<FiberStack> {
        let mut state = self.state();
        if let Source::Custom(creator) = &self.source {
            drop(state);
            return self.stack_from_creator(creator.as_ref());
        }
        if let Some(stack) = state.free.pop() {
            state.in_use += 1;
            return Ok(stack);
        }
        if let Source::Pooled { total, .. } = self.source {
            if state.in_use >= total {
                bail!(
                    "total_stacks: all {total} async stacks of the pooling allocator are in \
                     use by calls in progress (raise total_stacks, or finish or delete calls)"
                );
            }
        }
        state.in_use += 1;
        drop(state);
        FiberStack::new(self.size.saturating_add(HOST_HEADROOM))
            .inspect_err(|_| self.state().in_use -= 1)
    }

    /// Takes back the stack of a finished call.
    pub(crate) fn give_back(&self, mut stack: FiberStack) {
        match &self.source {
            Source::Custom(_) => drop(stack),
            Source::OnDemand => {
                let mut state = self.state();
                state.in_use -= 1;
                if state.free.len() < ON_DEMAND_CACHED {
                    state.free.push(stack);
                }
            }
            Source::Pooled {
                zeroing,
                keep_resident,
                ..
            } => {
                if *zeroing {
                    stack.zero(*keep_resident);
                }
                let mut state = self.state();
                state.in_use -= 1;
                state.free.push(stack);
            }
        }
    }

    /// A stack from the embedder's creator, checked: at least `size`
    /// usable bytes, aligned as fibers need.
    fn stack_from_creator(&self, creator: &dyn StackCreator) -> Result<FiberStack> {
        let zeroed = false;
        let memory: Box<dyn StackMemory> = creator
            .new_stack(self.size, zeroed)
            .map_err(|e| anyhow::anyhow!("with_host_stack: the stack creator failed: {e:#}"))?;
        let range = memory.range();
        let top = memory.top() as usize;
        if top != range.end || range.start > range.end {
            bail!(
                "with_host_stack: the stack creator returned a stack whose top ({top:#x}) \
                 is not the end of its range ({:#x}..{:#x})",
                range.start,
                range.end
            );
        }
        // Align the top down and the size with it; what is left must still
        // hold `async_stack_size` bytes.
        let aligned_top = top & !(STACK_ALIGN - 1);
        let len = aligned_top.saturating_sub(range.start) & !(STACK_ALIGN - 1);
        if len < self.size {
            bail!(
                "with_host_stack: the stack creator returned {} bytes ({len} once aligned), \
                 less than async_stack_size ({} bytes)",
                range.len(),
                self.size
            );
        }
        // SAFETY: the `StackCreator` contract: the memory is the stack's
        // alone until it is dropped, which `release` does after the fiber's
        // last use; `len` bytes below the aligned top lie inside its range.
        Ok(unsafe {
            FiberStack::from_custom(
                memory.top().with_addr(aligned_top),
                len,
                Box::new(move || drop(memory)),
            )
        })
    }
}
