//! `WasiCtx`: the per-store state of preview 1, built from a
//! [`WasiConfig`] by opening everything it names.

use super::config::{PreopenSocket, WasiConfig};
use super::errno::Errno;
use super::memory::GuestMemory;
use super::stdio::{Input, Output};
use super::table::{DirEntry, Entry, FdTable, Kind};
use super::types::{fdflags, rights};
use crate::environ::error::{Error, ErrorKind};
use std::net::TcpListener;
use std::os::fd::AsRawFd;

/// Strings laid out as the guest receives them: each NUL-terminated, one
/// after the other, with where each starts.
pub(crate) struct StringList {
    bytes: Vec<u8>,
    starts: Vec<u32>,
}

impl StringList {
    fn new<'a>(items: impl Iterator<Item = Vec<&'a [u8]>>) -> Result<StringList, Error> {
        let mut list = StringList {
            bytes: Vec::new(),
            starts: Vec::new(),
        };
        for parts in items {
            let start = u32::try_from(list.bytes.len()).map_err(|_| {
                Error::new(
                    ErrorKind::Other,
                    "WASI arguments or environment exceed 4 GiB",
                )
            })?;
            list.starts.push(start);
            for p in parts {
                list.bytes.extend_from_slice(p);
            }
            list.bytes.push(0);
        }
        Ok(list)
    }

    /// `(count, total bytes)`, as `*_sizes_get` return them.
    pub(crate) fn sizes(&self) -> (u32, u32) {
        (self.starts.len() as u32, self.bytes.len() as u32)
    }

    /// Writes the strings to `buf` and their guest addresses to the array
    /// at `ptrs`, as `args_get`/`environ_get` do; every range is checked
    /// before anything is written.
    pub(crate) fn write(&self, mem: &GuestMemory, ptrs: u32, buf: u32) -> Result<(), Errno> {
        let (count, size) = self.sizes();
        mem.check_range(buf, size)?;
        let array_len = count.checked_mul(4).ok_or(Errno::FAULT)?;
        mem.check_range(ptrs, array_len)?;
        for (i, start) in self.starts.iter().enumerate() {
            let addr = buf.checked_add(*start).ok_or(Errno::FAULT)?;
            mem.write_u32(ptrs + 4 * i as u32, addr)?;
        }
        mem.write_bytes(buf, &self.bytes)
    }
}

/// A store's preview 1 context: arguments, environment, descriptors.
/// Owned by the store (an extension); dropped with it, which closes every
/// descriptor the context opened (never the host's inherited 0, 1, 2).
pub(crate) struct WasiCtx {
    pub(crate) args: StringList,
    pub(crate) env: StringList,
    pub(crate) table: FdTable,
    /// `WasiConfig::inherit_network`: whether `sock_*` may be used.
    pub(crate) network: bool,
}

impl WasiCtx {
    /// Opens everything `config` names: standard streams, preopened
    /// directories, listening sockets. Any failure is an error naming the
    /// path, address or descriptor at fault.
    pub(crate) fn build(config: WasiConfig) -> Result<WasiCtx, Error> {
        let WasiConfig {
            args,
            env,
            stdin,
            stdout,
            stderr,
            preopens,
            sockets,
            inherit_network,
        } = config;
        let args = StringList::new(args.iter().map(|a| vec![a.as_slice()]))?;
        let env = StringList::new(
            env.iter()
                .map(|(k, v)| vec![k.as_slice(), b"=".as_slice(), v.as_slice()]),
        )?;

        let mut table = FdTable::default();
        let stream = |base, kind| Entry {
            base,
            inheriting: 0,
            flags: 0,
            kind,
        };
        table
            .push(stream(rights::STDIN, Kind::Stdin(Input::open(stdin)?)))
            .map_err(|_| too_many())?;
        table
            .push(stream(
                rights::STDOUT,
                Kind::Stdout(Output::open(stdout, 1, "stdout")?),
            ))
            .map_err(|_| too_many())?;
        table
            .push(stream(
                rights::STDOUT,
                Kind::Stdout(Output::open(stderr, 2, "stderr")?),
            ))
            .map_err(|_| too_many())?;

        for p in preopens {
            let dir =
                cap_std::fs::Dir::open_ambient_dir(&p.host_path, cap_std::ambient_authority())
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Other,
                            format!(
                                "WASI preopen `{}`: cannot open the directory `{}`: {e}",
                                p.guest_path,
                                p.host_path.display()
                            ),
                        )
                    })?;
            table
                .push(Entry {
                    base: rights::DIR,
                    inheriting: rights::DIR_INHERITING,
                    flags: 0,
                    kind: Kind::Dir(DirEntry {
                        dir,
                        preopen: Some(p.guest_path),
                        perms: p.dir_perms,
                        file_perms: p.file_perms,
                    }),
                })
                .map_err(|_| too_many())?;
        }

        for s in sockets {
            let (fd, listener) = match s {
                PreopenSocket::Listen { fd, address } => {
                    let listener = TcpListener::bind(&address).map_err(|e| {
                        Error::new(
                            ErrorKind::Other,
                            format!("WASI socket {fd}: cannot listen on `{address}`: {e}"),
                        )
                    })?;
                    (fd, listener)
                }
                PreopenSocket::Listener { fd, listener } => (fd, listener),
            };
            if table.contains(fd) {
                return Err(Error::new(
                    ErrorKind::Other,
                    format!(
                        "WASI socket {fd}: descriptor {fd} is already taken (0-2 are the \
                         standard streams, preopened directories follow from 3)"
                    ),
                ));
            }
            let nonblocking = is_nonblocking(&listener);
            let entry = Entry {
                base: rights::LISTENER,
                inheriting: rights::STREAM,
                flags: if nonblocking { fdflags::NONBLOCK } else { 0 },
                kind: Kind::Listener(listener),
            };
            table.insert_at(fd, entry).map_err(|_| {
                Error::new(
                    ErrorKind::Other,
                    format!(
                        "WASI socket {fd}: descriptor numbers must be below {}",
                        super::table::MAX_FDS
                    ),
                )
            })?;
        }

        Ok(WasiCtx {
            args,
            env,
            table,
            network: inherit_network,
        })
    }
}

fn too_many() -> Error {
    Error::new(ErrorKind::Other, "WASI: too many preopened descriptors")
}

/// Whether the host put a listener it handed over in non-blocking mode.
fn is_nonblocking(listener: &TcpListener) -> bool {
    // SAFETY: `F_GETFL` on a descriptor we hold touches no memory.
    let flags = unsafe { libc::fcntl(listener.as_raw_fd(), libc::F_GETFL) };
    flags >= 0 && flags & libc::O_NONBLOCK != 0
}
