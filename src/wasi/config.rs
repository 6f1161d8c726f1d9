//! `WasiConfig`: what a WASI program may see, as plain data. Nothing is
//! opened here; `set_store_wasi` opens it all when it builds a context.

use std::net::TcpListener;
use std::path::PathBuf;

/// What a directory preopen lets the guest do with the directory itself
/// (the reference's `wasi_dir_perms`): bit 0 read (list, stat, open
/// entries), bit 1 mutate (create, rename, remove entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirPerms(pub u32);

impl DirPerms {
    /// List, stat and open entries.
    pub const READ: DirPerms = DirPerms(1);
    /// Create, rename and remove entries.
    pub const MUTATE: DirPerms = DirPerms(2);

    /// Whether every permission of `other` is in `self`.
    pub fn contains(self, other: DirPerms) -> bool {
        self.0 & other.0 == other.0
    }
}

/// What a directory preopen lets the guest do with the files in it (the
/// reference's `wasi_file_perms`): bit 0 read, bit 1 write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePerms(pub u32);

impl FilePerms {
    /// Read file contents.
    pub const READ: FilePerms = FilePerms(1);
    /// Write, truncate, resize and set times of files.
    pub const WRITE: FilePerms = FilePerms(2);

    /// Whether every permission of `other` is in `self`.
    pub fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Where the guest's standard input comes from.
#[derive(Debug, Default)]
pub enum InputSource {
    /// Nothing: reads see end of file at once (the default).
    #[default]
    Empty,
    /// The host process's own standard input.
    Inherit,
    /// The file at this host path, opened for reading.
    File(PathBuf),
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
}

/// A custom output sink: called with each chunk the guest writes; returns
/// how many bytes it took (all of them, normally), or a negative number for
/// an I/O error the guest sees as `EIO`.
pub type OutputCallback = Box<dyn FnMut(&[u8]) -> isize + Send>;

/// Where the guest's standard output or standard error goes.
#[derive(Default)]
pub enum OutputSink {
    /// Nowhere: writes succeed and are dropped (the default).
    #[default]
    Discard,
    /// The host process's own stream of the same name.
    Inherit,
    /// The file at this host path, created or truncated.
    File(PathBuf),
    /// A callback (the reference's `set_stdout_custom`).
    Custom(OutputCallback),
}

impl std::fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputSink::Discard => f.write_str("Discard"),
            OutputSink::Inherit => f.write_str("Inherit"),
            OutputSink::File(p) => f.debug_tuple("File").field(p).finish(),
            OutputSink::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A directory the guest sees, under `guest_path`, with permissions.
#[derive(Debug)]
pub struct PreopenDir {
    /// Where it is on the host.
    pub host_path: PathBuf,
    /// The name the guest opens it by (`fd_prestat_dir_name`).
    pub guest_path: String,
    /// What the guest may do with the directory tree.
    pub dir_perms: DirPerms,
    /// What the guest may do with files in it.
    pub file_perms: FilePerms,
}

/// A listening socket the guest may `sock_accept` on.
#[derive(Debug)]
pub enum PreopenSocket {
    /// Bind and listen on this host address (`"127.0.0.1:8080"`) when the
    /// context is built; the guest sees it as descriptor `fd`.
    Listen {
        /// The guest descriptor number.
        fd: u32,
        /// The address to bind.
        address: String,
    },
    /// An already listening socket the host made.
    Listener {
        /// The guest descriptor number.
        fd: u32,
        /// The socket.
        listener: TcpListener,
    },
}

/// Everything a WASI context is built from. Starts empty: no arguments, no
/// environment, empty stdin, discarded output, no directories, no network.
#[derive(Debug, Default)]
pub struct WasiConfig {
    /// `argv`, program name first; empty until set or inherited.
    pub args: Vec<Vec<u8>>,
    /// Environment variables, in order, as `(name, value)`.
    pub env: Vec<(Vec<u8>, Vec<u8>)>,
    /// Standard input.
    pub stdin: InputSource,
    /// Standard output.
    pub stdout: OutputSink,
    /// Standard error.
    pub stderr: OutputSink,
    /// Preopened directories, given descriptors 3, 4, ... in this order
    /// (before any preopened socket without an explicit number).
    pub preopens: Vec<PreopenDir>,
    /// Preopened listening sockets.
    pub sockets: Vec<PreopenSocket>,
    /// Whether the guest may use the host network at all (the reference's
    /// `inherit_network`); preview 1 only accepts on preopened sockets, so
    /// this gates `sock_*` on them: with it off, preopened sockets still
    /// take their descriptor numbers (and can be polled and closed), but
    /// `sock_accept`, `sock_recv`, `sock_send` and `sock_shutdown` answer
    /// `ENOTCAPABLE`.
    pub inherit_network: bool,
}

impl WasiConfig {
    /// An empty configuration.
    pub fn new() -> WasiConfig {
        WasiConfig::default()
    }

    /// Sets `argv`, replacing what was there.
    pub fn set_argv<I, A>(&mut self, args: I) -> &mut WasiConfig
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        self.args = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
        self
    }

    /// Sets `argv` to the host process's arguments.
    pub fn inherit_argv(&mut self) -> &mut WasiConfig {
        use std::os::unix::ffi::OsStringExt;
        self.args = std::env::args_os().map(OsStringExt::into_vec).collect();
        self
    }

    /// Sets the environment, replacing what was there.
    pub fn set_env<I, K, V>(&mut self, vars: I) -> &mut WasiConfig
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.env = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().to_vec()))
            .collect();
        self
    }

    /// Sets the environment to the host process's.
    pub fn inherit_env(&mut self) -> &mut WasiConfig {
        use std::os::unix::ffi::OsStringExt;
        self.env = std::env::vars_os()
            .map(|(k, v)| (k.into_vec(), v.into_vec()))
            .collect();
        self
    }

    /// Preopens the host directory `host_path` as `guest_path`.
    pub fn preopen_dir(
        &mut self,
        host_path: impl Into<PathBuf>,
        guest_path: impl Into<String>,
        dir_perms: DirPerms,
        file_perms: FilePerms,
    ) -> &mut WasiConfig {
        self.preopens.push(PreopenDir {
            host_path: host_path.into(),
            guest_path: guest_path.into(),
            dir_perms,
            file_perms,
        });
        self
    }
}
