//! Module-cache settings: what `cache_config_load`, `cache_config_load_default`
//! and `disable_cache` produce, and the parser for the cache configuration file.
//!
//! The file format is Wasmtime's: a TOML document with a `[cache]` table.
//! We carry no TOML crate, so this module parses the subset that format
//! uses — one `[cache]` table of `key = value` lines whose values are
//! strings, integers or booleans, with `#` comments — and rejects anything
//! else by name and line, so a typo never silently falls back to a default.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of this runtime's folder under the user's config and cache homes.
const APP_DIR: &str = "wasm-runtime";

/// Settings for the on-disk module cache, loaded from a cache config file.
///
/// Only `enabled` and `directory` decide whether and where compiled modules
/// are cached; the remaining knobs tune the cache's housekeeping (compression
/// and cleanup) and are kept so the module cache can honour them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// Whether compiled modules are stored and looked up on disk.
    pub enabled: bool,
    /// Absolute path of the cache folder. Loading a config checks that the
    /// folder exists or can be made, but creates nothing: the folder is
    /// made when the first compiled module is stored, so a cache loaded and
    /// then disabled (or never used) leaves no trace.
    pub directory: PathBuf,
    /// Capacity of the background worker's event queue (`worker-event-queue-size`).
    pub worker_event_queue_size: u64,
    /// Compression level for freshly cached modules (`baseline-compression-level`).
    pub baseline_compression_level: i32,
    /// Compression level for frequently used modules (`optimized-compression-level`).
    pub optimized_compression_level: i32,
    /// Uses before a module is recompressed (`optimized-compression-usage-counter-threshold`).
    pub optimized_compression_usage_counter_threshold: u64,
    /// Time between cache cleanups (`cleanup-interval`).
    pub cleanup_interval: Duration,
    /// Longest a recompression task may take (`optimizing-compression-task-timeout`).
    pub optimizing_compression_task_timeout: Duration,
    /// Tolerated clock skew for files dated in the future (`allowed-clock-drift-for-files-from-future`).
    pub allowed_clock_drift_for_files_from_future: Duration,
    /// File count above which cleanup starts (`file-count-soft-limit`).
    pub file_count_soft_limit: u64,
    /// Total size in bytes above which cleanup starts (`files-total-size-soft-limit`).
    pub files_total_size_soft_limit: u64,
    /// Percentage of the file-count limit kept when cleaning (`file-count-limit-percent-if-deleting`).
    pub file_count_limit_percent_if_deleting: u8,
    /// Percentage of the size limit kept when cleaning (`files-total-size-limit-percent-if-deleting`).
    pub files_total_size_limit_percent_if_deleting: u8,
}

impl CacheConfig {
    /// An enabled cache in `directory` with the default housekeeping knobs.
    pub fn enabled_in(directory: PathBuf) -> CacheConfig {
        CacheConfig {
            enabled: true,
            directory,
            worker_event_queue_size: 16,
            baseline_compression_level: 3,
            optimized_compression_level: 20,
            optimized_compression_usage_counter_threshold: 256,
            cleanup_interval: Duration::from_secs(60 * 60),
            optimizing_compression_task_timeout: Duration::from_secs(30 * 60),
            allowed_clock_drift_for_files_from_future: Duration::from_secs(24 * 60 * 60),
            file_count_soft_limit: 65_536,
            files_total_size_soft_limit: 512 * 1024 * 1024,
            file_count_limit_percent_if_deleting: 70,
            files_total_size_limit_percent_if_deleting: 70,
        }
    }

    /// Loads and checks the cache config file at `path`; when the cache is
    /// enabled, a directory that cannot be made or written fails here (see
    /// [`CacheConfig::directory`]: nothing is created yet).
    pub fn load(path: &Path) -> Result<CacheConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read cache config file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let config = parse(&text, base)
            .with_context(|| format!("invalid cache config file {}", path.display()))?;
        config.check_directory()?;
        Ok(config)
    }

    /// Loads the system default cache config
    /// (`$XDG_CONFIG_HOME/wasm-runtime/config.toml`, else
    /// `~/.config/wasm-runtime/config.toml`); a missing file means an
    /// enabled cache with default settings.
    pub fn load_default() -> Result<CacheConfig> {
        let path = default_config_file()?;
        if path.exists() {
            return CacheConfig::load(&path);
        }
        let config = CacheConfig::enabled_in(default_cache_directory()?);
        config.check_directory()?;
        Ok(config)
    }

    /// Checks, without creating anything, that an enabled cache's folder
    /// can be used: it exists as a writable folder, or its nearest
    /// existing ancestor is one (so the first store can make it).
    fn check_directory(&self) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let dir = &self.directory;
        let fail = |why: String| {
            Err(anyhow!(
                "cannot use cache directory {}: {why}",
                dir.display()
            ))
        };
        let Some(existing) = dir.ancestors().find(|p| p.exists()) else {
            return fail("none of its folders exists".to_string());
        };
        if !existing.is_dir() {
            return fail(format!("{} is not a folder", existing.display()));
        }
        let Ok(c_path) = std::ffi::CString::new(existing.as_os_str().as_encoded_bytes()) else {
            return fail("the path contains a NUL byte".to_string());
        };
        // SAFETY: a NUL-terminated path; `access` only reads it.
        if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return fail(format!(
                "{} is not writable ({})",
                existing.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }
}

/// `$XDG_CACHE_HOME/wasm-runtime`, else `$HOME/.cache/wasm-runtime`.
pub fn default_cache_directory() -> Result<PathBuf> {
    home_subdir("XDG_CACHE_HOME", ".cache")
}

/// `$XDG_CONFIG_HOME/wasm-runtime/config.toml`, else `$HOME/.config/wasm-runtime/config.toml`.
pub fn default_config_file() -> Result<PathBuf> {
    Ok(home_subdir("XDG_CONFIG_HOME", ".config")?.join("config.toml"))
}

fn home_subdir(xdg_var: &str, fallback: &str) -> Result<PathBuf> {
    // XDG says relative values must be ignored.
    if let Some(dir) = std::env::var_os(xdg_var).map(PathBuf::from) {
        if dir.is_absolute() {
            return Ok(dir.join(APP_DIR));
        }
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(fallback).join(APP_DIR)),
        _ => bail!("cannot locate the default cache folder: neither ${xdg_var} nor $HOME is set to an absolute path"),
    }
}

/// A value on the right of `key = value`.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// Parses a cache config document; relative `directory` values are taken
/// relative to `base` (the config file's folder).
fn parse(text: &str, base: &Path) -> Result<CacheConfig> {
    let mut in_cache_table = false;
    let mut saw_cache_table = false;
    let mut enabled = None;
    let mut directory = None;
    // Defaults need a directory; fill it in at the end if none was given.
    let mut config = CacheConfig::enabled_in(PathBuf::new());
    let mut seen_keys: Vec<String> = Vec::new();

    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let at = |e: anyhow::Error| e.context(format!("line {line_no}"));
        let line = strip_comment(raw_line).map_err(at)?.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .ok_or_else(|| {
                    anyhow!("line {line_no}: table header `{line}` lacks its closing `]`")
                })?
                .trim();
            if name != "cache" {
                bail!("line {line_no}: unknown table `[{name}]` (only `[cache]` is supported)");
            }
            if saw_cache_table {
                bail!("line {line_no}: table `[cache]` is defined twice");
            }
            in_cache_table = true;
            saw_cache_table = true;
            continue;
        }
        let (key, value_text) = line.split_once('=').ok_or_else(|| {
            anyhow!("line {line_no}: expected `key = value` or `[cache]`, found `{line}`")
        })?;
        let key = unquote_key(key.trim()).map_err(at)?;
        if !in_cache_table {
            bail!("line {line_no}: key `{key}` appears outside the `[cache]` table");
        }
        if seen_keys.contains(&key) {
            bail!("line {line_no}: key `{key}` is set twice");
        }
        seen_keys.push(key.clone());
        let value = parse_value(value_text.trim()).map_err(at)?;
        apply_key(&mut config, &mut enabled, &mut directory, &key, value)
            .map_err(|e| e.context(format!("line {line_no}: key `{key}`")))?;
    }

    if !saw_cache_table {
        bail!("missing the `[cache]` table");
    }
    config.enabled = enabled.unwrap_or(true);
    config.directory = match directory {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => absolute(&base.join(dir))?,
        None if config.enabled => default_cache_directory()?,
        // A disabled cache needs no folder; don't fail for want of $HOME.
        None => default_cache_directory().unwrap_or_default(),
    };
    Ok(config)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make {} absolute", path.display()))
}

fn apply_key(
    config: &mut CacheConfig,
    enabled: &mut Option<bool>,
    directory: &mut Option<PathBuf>,
    key: &str,
    value: Value,
) -> Result<()> {
    match key {
        "enabled" => *enabled = Some(expect_bool(value)?),
        "directory" => {
            let dir = expect_str(value)?;
            if dir.is_empty() {
                bail!("the cache directory must not be empty");
            }
            *directory = Some(PathBuf::from(dir));
        }
        "worker-event-queue-size" => config.worker_event_queue_size = expect_size(value)?,
        "baseline-compression-level" => {
            config.baseline_compression_level = expect_compression_level(value)?
        }
        "optimized-compression-level" => {
            config.optimized_compression_level = expect_compression_level(value)?
        }
        "optimized-compression-usage-counter-threshold" => {
            config.optimized_compression_usage_counter_threshold = expect_size(value)?
        }
        "cleanup-interval" => config.cleanup_interval = expect_duration(value)?,
        "optimizing-compression-task-timeout" => {
            config.optimizing_compression_task_timeout = expect_duration(value)?
        }
        "allowed-clock-drift-for-files-from-future" => {
            config.allowed_clock_drift_for_files_from_future = expect_duration(value)?
        }
        "file-count-soft-limit" => config.file_count_soft_limit = expect_size(value)?,
        "files-total-size-soft-limit" => config.files_total_size_soft_limit = expect_size(value)?,
        "file-count-limit-percent-if-deleting" => {
            config.file_count_limit_percent_if_deleting = expect_percent(value)?
        }
        "files-total-size-limit-percent-if-deleting" => {
            config.files_total_size_limit_percent_if_deleting = expect_percent(value)?
        }
        _ => bail!("unknown cache setting"),
    }
    Ok(())
}

/// Removes a trailing `# comment`, ignoring `#` inside strings.
fn strip_comment(line: &str) -> Result<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return Ok(&line[..i]),
            None => {}
        }
    }
    if quote.is_some() {
        bail!("unterminated string");
    }
    Ok(line)
}

fn unquote_key(key: &str) -> Result<String> {
    if key.starts_with('"') || key.starts_with('\'') {
        return match parse_value(key)? {
            Value::Str(s) => Ok(s),
            _ => unreachable!("a quoted token always parses as a string"),
        };
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("invalid key `{key}`");
    }
    Ok(key.to_string())
}

fn parse_value(text: &str) -> Result<Value> {
    if let Some(body) = text.strip_prefix('\'') {
        let inner = body
            .strip_suffix('\'')
            .filter(|inner| !inner.contains('\''))
            .ok_or_else(|| anyhow!("malformed literal string {text}"))?;
        return Ok(Value::Str(inner.to_string()));
    }
    if let Some(body) = text.strip_prefix('"') {
        return parse_basic_string(body, text).map(Value::Str);
    }
    match text {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "" => bail!("missing value after `=`"),
        _ => {}
    }
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if text.contains("__") || text.ends_with('_') || text.starts_with('_') {
        bail!("malformed integer `{text}`");
    }
    digits.parse::<i64>().map(Value::Int).map_err(|_| {
        anyhow!("unsupported value `{text}` (expected a string, an integer or a boolean)")
    })
}

/// Parses the rest of a `"..."` string (after the opening quote).
fn parse_basic_string(body: &str, whole: &str) -> Result<String> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if !chars.as_str().is_empty() {
                    bail!("unexpected text after string {whole}");
                }
                return Ok(out);
            }
            '\\' => {
                let escaped = match chars.next() {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some(u @ ('u' | 'U')) => {
                        let len = if u == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(len).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == len)
                            .and_then(char::from_u32)
                            .ok_or_else(|| anyhow!("bad unicode escape \\{u}{hex}"))?
                    }
                    other => bail!(
                        "unknown escape \\{}",
                        other.map(String::from).unwrap_or_default()
                    ),
                };
                out.push(escaped);
            }
            c => out.push(c),
        }
    }
    bail!("unterminated string {whole}")
}

fn expect_bool(value: Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(b),
        other => bail!("expected true or false, found {other:?}"),
    }
}

fn expect_str(value: Value) -> Result<String> {
    match value {
        Value::Str(s) => Ok(s),
        other => bail!("expected a string, found {other:?}"),
    }
}

fn expect_compression_level(value: Value) -> Result<i32> {
    match value {
        Value::Int(n) if (-131_072..=22).contains(&n) => Ok(n as i32),
        Value::Int(n) => bail!("compression level {n} is out of range (-131072..=22)"),
        other => bail!("expected an integer, found {other:?}"),
    }
}

/// A count or byte size: an integer, or a string with an optional binary
/// (`Ki`, `Mi`, `Gi`, `Ti`) or decimal (`K`, `M`, `G`, `T`) suffix.
fn expect_size(value: Value) -> Result<u64> {
    let text = match value {
        Value::Int(n) => return u64::try_from(n).map_err(|_| anyhow!("{n} must not be negative")),
        Value::Str(s) => s,
        other => bail!("expected an integer or a size string, found {other:?}"),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let multiplier: u64 = match suffix.trim() {
        "" => 1,
        "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        other => {
            bail!("unknown size suffix `{other}` in \"{text}\" (use K, M, G, T, Ki, Mi, Gi or Ti)")
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| anyhow!("malformed or too large size \"{text}\""))
}

/// A duration string: an integer followed by `s`, `m`, `h` or `d`.
fn expect_duration(value: Value) -> Result<Duration> {
    let text = expect_str(value).context("durations are strings such as \"30m\"")?;
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let seconds: u64 = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        other => bail!("unknown duration unit `{other}` in \"{text}\" (use s, m, h or d)"),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
        .map(Duration::from_secs)
        .ok_or_else(|| anyhow!("malformed duration \"{text}\""))
}

/// A percentage string such as `"70%"`, at most 100.
fn expect_percent(value: Value) -> Result<u8> {
    let text = expect_str(value).context("percentages are strings such as \"70%\"")?;
    text.strip_suffix('%')
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|&n| n <= 100)
        .ok_or_else(|| anyhow!("expected a percentage from \"0%\" to \"100%\", found \"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> CacheConfig {
        parse(text, Path::new("/base")).unwrap()
    }

    fn parse_err(text: &str) -> String {
        format!("{:#}", parse(text, Path::new("/base")).unwrap_err())
    }

    #[test]
    fn reads_the_supported_keys() {
        let config = parse_ok(
            "# comment\n[cache]\nenabled = false # trailing\ndirectory = 'rel/dir'\n\
             cleanup-interval = \"2h\"\nfiles-total-size-soft-limit = \"1Gi\"\n\
             file-count-limit-percent-if-deleting = \"50%\"\nworker-event-queue-size = 1_000\n",
        );
        assert!(!config.enabled);
        assert_eq!(config.directory, PathBuf::from("/base/rel/dir"));
        assert_eq!(config.cleanup_interval, Duration::from_secs(7200));
        assert_eq!(config.files_total_size_soft_limit, 1 << 30);
        assert_eq!(config.file_count_limit_percent_if_deleting, 50);
        assert_eq!(config.worker_event_queue_size, 1000);
    }

    #[test]
    fn missing_enabled_means_enabled() {
        let config = parse_ok("[cache]\ndirectory = \"/abs/d\\u00e9\"\n");
        assert!(config.enabled);
        assert_eq!(config.directory, PathBuf::from("/abs/d\u{e9}"));
    }

    #[test]
    fn errors_name_the_line_and_key() {
        assert!(parse_err("[cache]\n\nbogus = 1\n").contains("line 3: key `bogus`"));
        assert!(parse_err("[cache]\nenabled = 1\n").contains("line 2: key `enabled`"));
        assert!(parse_err("[other]\n").contains("line 1: unknown table `[other]`"));
        assert!(parse_err("enabled = true\n").contains("outside the `[cache]` table"));
        assert!(parse_err("").contains("missing the `[cache]` table"));
        assert!(parse_err("[cache]\ndirectory = \"x\n").contains("line 2"));
        assert!(parse_err("[cache]\nenabled = true\nenabled = false\n").contains("line 3"));
        assert!(parse_err("[cache]\ncleanup-interval = \"5y\"\n").contains("unknown duration unit"));
        assert!(
            parse_err("[cache]\nfile-count-limit-percent-if-deleting = \"101%\"\n")
                .contains("percentage")
        );
    }
}
