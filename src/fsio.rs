//! Durable, private file operations.
//!
//! Crash reasoning (Maildir/Postfix style): a file appears under its final name only once its
//! content is on disk. We write `.<name>.<pid>.tmp`, fsync it, rename it into place (atomic on
//! POSIX within one filesystem) and fsync the folder so the rename itself survives a power cut.
//! After a crash a reader sees either nothing or the whole file, never a prefix; leftover
//! `.tmp` files are ignored by the spool reader and removed at start.
//!
//! Permissions: personal health data, so folders 0700 and files 0600, unless the spool is
//! shared with HR tools on purpose (folders 2770 setgid so files keep the group, files 0660).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// File and folder modes to create with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms {
    pub dir: u32,
    pub file: u32,
}

impl Perms {
    pub const PRIVATE: Perms = Perms {
        dir: 0o700,
        file: 0o600,
    };
    pub const SHARED: Perms = Perms {
        dir: 0o2770,
        file: 0o660,
    };

    pub fn for_spool(shared_group: bool) -> Perms {
        if shared_group {
            Perms::SHARED
        } else {
            Perms::PRIVATE
        }
    }
}

/// Creates a folder (and its parents) with the given mode; an existing folder keeps its mode.
pub fn ensure_dir(path: &Path, perms: Perms) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(perms.dir)
        .create(path)?;
    // The umask may have removed bits (setgid, group) we asked for on purpose.
    fs::set_permissions(path, fs::Permissions::from_mode(perms.dir))?;
    Ok(())
}

/// fsyncs a folder so that a rename or unlink inside it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn temp_name(dest: &Path) -> io::Result<PathBuf> {
    let name = dest.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "destination has no file name")
    })?;
    Ok(dest.with_file_name(format!(".{name}.{}.tmp", std::process::id())))
}

/// Writes `data` to `dest` atomically and durably (temp file, fsync, rename, fsync folder).
pub fn write_atomic(dest: &Path, data: &[u8], perms: Perms) -> io::Result<()> {
    write_renamed(dest, data, perms)?;
    sync_dir(dest.parent().unwrap_or(Path::new(".")))
}

/// [`write_atomic`] for content written by `fill` (a large extract copied from its source
/// without holding it). `fill` returning `Ok(false)` means "nothing to write": no file.
pub fn write_atomic_from(
    dest: &Path,
    perms: Perms,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<bool>,
) -> io::Result<()> {
    let tmp = temp_name(dest)?;
    let written = (|| -> io::Result<bool> {
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(perms.file)
            .open(&tmp)?;
        let mut w = io::BufWriter::new(f);
        if !fill(&mut w)? {
            return Ok(false);
        }
        let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.sync_all()?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(perms.file))?;
        fs::rename(&tmp, dest)?;
        Ok(true)
    })();
    if !matches!(written, Ok(true)) {
        let _ = fs::remove_file(&tmp);
    }
    if written? {
        sync_dir(dest.parent().unwrap_or(Path::new(".")))?;
    }
    Ok(())
}

/// [`write_atomic`] without the folder fsync, for batches: the caller must [`sync_dir`] the
/// folder before treating the file as durable (one folder fsync for many files).
pub fn write_renamed(dest: &Path, data: &[u8], perms: Perms) -> io::Result<()> {
    let tmp = write_temp(dest, data, perms)?;
    if let Err(e) = fs::rename(&tmp, dest) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// First half of a batched atomic write: the content, fsynced, under the temporary name of
/// `dest` (which readers ignore). Returns the temporary path, to rename later in order.
pub fn write_temp(dest: &Path, data: &[u8], perms: Perms) -> io::Result<PathBuf> {
    let tmp = temp_name(dest)?;
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(perms.file)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    fs::set_permissions(&tmp, fs::Permissions::from_mode(perms.file))?;
    Ok(tmp)
}

/// Moves a file to another folder of the same filesystem durably: rename, then fsync both
/// folders (destination first, so the file exists somewhere at every instant).
pub fn move_durable(src: &Path, dest: &Path) -> io::Result<()> {
    fs::rename(src, dest)?;
    if let Some(d) = dest.parent() {
        sync_dir(d)?;
    }
    if let Some(s) = src.parent() {
        sync_dir(s)?;
    }
    Ok(())
}

/// What a spool entry is, as `lstat` sees it: a symbolic link is never followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Regular,
    Symlink,
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Unknown,
}

impl EntryKind {
    pub fn of(ft: &fs::FileType) -> EntryKind {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_symlink() {
            EntryKind::Symlink
        } else if ft.is_file() {
            EntryKind::Regular
        } else if ft.is_dir() {
            EntryKind::Directory
        } else if ft.is_fifo() {
            EntryKind::Fifo
        } else if ft.is_socket() {
            EntryKind::Socket
        } else if ft.is_char_device() {
            EntryKind::CharDevice
        } else if ft.is_block_device() {
            EntryKind::BlockDevice
        } else {
            EntryKind::Unknown
        }
    }

    /// For reports: "a symbolic link", "a named pipe (FIFO)", ...
    pub fn describe(self) -> &'static str {
        match self {
            EntryKind::Regular => "a regular file",
            EntryKind::Symlink => "a symbolic link",
            EntryKind::Directory => "a directory",
            EntryKind::Fifo => "a named pipe (FIFO)",
            EntryKind::Socket => "a socket",
            EntryKind::CharDevice => "a character device",
            EntryKind::BlockDevice => "a block device",
            EntryKind::Unknown => "a special file",
        }
    }
}

/// The kind of the entry at `path`, without following a symbolic link.
pub fn entry_kind(path: &Path) -> io::Result<EntryKind> {
    Ok(EntryKind::of(&fs::symlink_metadata(path)?.file_type()))
}

/// Why an inbound file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadRefused {
    #[error("is {}, not a regular file: refused without being read", .0.describe())]
    NotRegular(EntryKind),
    #[error("is {0} bytes, more than the limit ({1})")]
    TooLarge(u64, u64),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens an inbound entry for reading only if it is a regular file: `O_NOFOLLOW` (a symlink
/// fails with ELOOP and its target is never opened), `O_NONBLOCK` (a FIFO cannot stall us),
/// then `fstat` on the opened descriptor, so an entry swapped after a check is still refused.
pub fn open_regular(path: &Path) -> Result<File, ReadRefused> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let f = match f {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(ReadRefused::NotRegular(EntryKind::Symlink));
        }
        Err(e) => return Err(e.into()),
    };
    let kind = EntryKind::of(&f.metadata()?.file_type());
    if kind != EntryKind::Regular {
        return Err(ReadRefused::NotRegular(kind));
    }
    Ok(f)
}

/// Reads a whole inbound file through [`open_regular`], at most `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadRefused> {
    use std::io::Read;
    let f = open_regular(path)?;
    let len = f.metadata()?.len();
    if len > max {
        return Err(ReadRefused::TooLarge(len, max));
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // A file still growing past `max` is refused rather than read without bound.
    f.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(ReadRefused::TooLarge(buf.len() as u64, max));
    }
    Ok(buf)
}

/// Moves an inbound file to `archive/` or `rejected/` with the spool's file mode: HR tools
/// drop files 0644, and they hold NIRs. The mode is set through a descriptor opened with
/// `O_NOFOLLOW` (never on a symlink's target); other entries (refused symlinks, FIFOs...) are
/// moved as they are.
pub fn move_spool_file(src: &Path, dest: &Path, perms: Perms) -> io::Result<()> {
    if let Ok(f) = open_regular(src) {
        f.set_permissions(fs::Permissions::from_mode(perms.file))?;
    }
    move_durable(src, dest)
}

/// Picks a free name in `dir` for `name`, adding `.1`, `.2`, ... before the extension if needed.
pub fn free_name(dir: &Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    (1..)
        .map(|i| dir.join(format!("{stem}.{i}{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

/// Refuses a secret file (key, password) that others can read or write.
///
/// Accepted: 0600/0400 (owner only), and 0640/0440 when the file's group is one this process
/// belongs to — Debian's and certbot's convention of keys owned `root:ssl-cert` 0640, with the
/// service user added to `ssl-cert` (`adduser ijgate ssl-cert`). Members of that group are
/// exactly who may read the key. Refused: any bit for others, group write or execute, and group
/// read for a group the service user is not in (then the group is someone else's audience).
pub fn check_secret_mode(path: &Path) -> Result<(), SecretError> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).map_err(|source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    secret_mode_ok(meta.permissions().mode(), meta.gid(), &process_groups()).map_err(|mode| {
        SecretError::Mode {
            path: path.to_path_buf(),
            mode,
        }
    })
}

/// Why a secret file is refused: it does not read, or its mode lets others see it.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {mode}", .path.display())]
    Mode { path: PathBuf, mode: ModeError },
}

/// What is wrong with a secret file's mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    #[error(
        "mode {mode:04o}: a secret must not be writable by its group nor readable by others \
         (chmod 600, or 640 with a group the service user is in)"
    )]
    Exposed { mode: u32 },
    #[error(
        "mode {mode:04o} with group {gid}, which the service user is not in: chmod 600, \
         or add the user to that group (e.g. adduser ijgate ssl-cert)"
    )]
    ForeignGroup { mode: u32, gid: u32 },
}

/// Why a folder is not writable by this process.
#[derive(Debug, thiserror::Error)]
pub enum WritableError {
    #[error("{} is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{}{}: not writable by this user: {source}", .at.display(), .to_create.as_ref().map(|d| format!(" (where {} is to be created)", d.display())).unwrap_or_default())]
    NotWritable {
        at: PathBuf,
        /// The folder to be created under `at`, when it does not exist yet.
        to_create: Option<PathBuf>,
        source: io::Error,
    },
}

/// The effective group and the supplementary groups of this process.
pub fn process_groups() -> Vec<u32> {
    // SAFETY: getegid cannot fail; getgroups is called first with 0 to size the buffer, then
    // with a buffer of that size, as POSIX specifies.
    let mut groups = vec![unsafe { libc::getegid() }];
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if n > 0 {
        let mut buf = vec![0 as libc::gid_t; n as usize];
        let m = unsafe { libc::getgroups(n, buf.as_mut_ptr()) };
        if m > 0 {
            groups.extend_from_slice(&buf[..m as usize]);
        }
    }
    groups
}

/// The rule of [`check_secret_mode`] on a mode, the file's group and the process's groups.
pub fn secret_mode_ok(mode: u32, file_gid: u32, groups: &[u32]) -> Result<(), ModeError> {
    let mode = mode & 0o777;
    if mode & 0o037 != 0 {
        return Err(ModeError::Exposed { mode });
    }
    if mode & 0o040 != 0 && !groups.contains(&file_gid) {
        return Err(ModeError::ForeignGroup {
            mode,
            gid: file_gid,
        });
    }
    Ok(())
}

/// Whether this process can create files in `dir` (or, when it does not exist yet, in the
/// nearest existing parent, where the daemon will create it): a real attempt, so that a
/// read-only mount, a missing permission or a systemd `ProtectSystem=strict` sandbox
/// (`check-config` runs as `ExecStartPre=`, inside it) is found before `run` fails.
pub fn check_writable(dir: &Path) -> Result<(), WritableError> {
    let mut at = dir;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => return Ok(()),
        }
    }
    if !at.is_dir() {
        return Err(WritableError::NotAFolder(at.to_path_buf()));
    }
    // A dot name ending in .tmp: ignored by the spool reader, removed as a stale temp.
    let probe = at.join(format!(".ijgate-check.{}.tmp", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(source) => Err(WritableError::NotWritable {
            at: at.to_path_buf(),
            to_create: (at != dir).then(|| dir.to_path_buf()),
            source,
        }),
    }
}

/// Reads a secret (password) from a file after checking its mode; trailing newline dropped.
pub fn read_secret(path: &Path) -> Result<String, SecretError> {
    check_secret_mode(path)?;
    let s = fs::read_to_string(path).map_err(|source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

/// Removes `.tmp` leftovers of a crash in `dir` (our own temp names start with '.').
pub fn remove_stale_temps(dir: &Path) -> io::Result<usize> {
    let mut n = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
            n += 1;
        }
    }
    Ok(n)
}

/// True for names no door takes (temporary names of writers, hidden files, error reports): a
/// naming rule shared by the spool, the DSN door, Prest'IJ folders and the admin counts.
pub fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with(".errors.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_modes_and_free_names() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        write_atomic(&p, b"{}", Perms::PRIVATE).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{}");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(free_name(d.path(), "a.json"), d.path().join("a.1.json"));
        assert_eq!(free_name(d.path(), "b.json"), d.path().join("b.json"));
        let sub = d.path().join("x/y");
        ensure_dir(&sub, Perms::SHARED).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o7777,
            0o2770
        );
    }

    #[test]
    fn secret_mode_is_checked() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pw");
        fs::write(&p, "s3cret\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_secret(&p).unwrap_err().to_string().contains("0644"));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret(&p).unwrap(), "s3cret");
        // 0640 with the process's own group (the file was created with it): accepted.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(read_secret(&p).unwrap(), "s3cret");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o660)).unwrap();
        assert!(read_secret(&p).unwrap_err().to_string().contains("0660"));
    }

    /// Issue 16: keys at 0640 `root:ssl-cert` (Debian, certbot) were refused.
    #[test]
    fn group_readable_keys_need_a_group_of_the_service_user() {
        let ssl_cert = 111;
        let ijgate_in_ssl_cert = [998, 111];
        let ijgate_alone = [998];
        assert!(secret_mode_ok(0o100640, ssl_cert, &ijgate_in_ssl_cert).is_ok());
        assert!(secret_mode_ok(0o440, ssl_cert, &ijgate_in_ssl_cert).is_ok());
        assert!(secret_mode_ok(0o600, ssl_cert, &ijgate_alone).is_ok());
        assert!(secret_mode_ok(0o400, ssl_cert, &[]).is_ok());
        let e = secret_mode_ok(0o640, ssl_cert, &ijgate_alone)
            .unwrap_err()
            .to_string();
        assert!(e.contains("group 111") && e.contains("adduser"), "{e}");
        for bad in [0o644, 0o604, 0o660, 0o650, 0o641, 0o666] {
            assert!(
                secret_mode_ok(bad, ssl_cert, &ijgate_in_ssl_cert).is_err(),
                "{bad:o}"
            );
        }
    }

    #[test]
    fn a_group_readable_key_of_a_foreign_group_is_refused() {
        // As root (the test machines), chown to a group the process is not in.
        let foreign = 54_321;
        if process_groups().contains(&foreign) {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.key");
        fs::write(&p, "k").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        if std::os::unix::fs::chown(&p, None, Some(foreign)).is_err() {
            return; // not root: the pure rule is tested above
        }
        assert!(
            check_secret_mode(&p)
                .unwrap_err()
                .to_string()
                .contains("54321")
        );
    }

    #[test]
    fn stale_temps_removed() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(".x.json.12.tmp"), "").unwrap();
        fs::write(d.path().join("keep.csv"), "").unwrap();
        assert_eq!(remove_stale_temps(d.path()).unwrap(), 1);
        assert!(d.path().join("keep.csv").exists());
    }
    #[test]
    fn symlinks_and_fifos_are_refused_unread() {
        let d = tempfile::tempdir().unwrap();
        let secret = d.path().join("secret");
        fs::write(&secret, "password=hunter2\n").unwrap();
        let link = d.path().join("x.csv");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert_eq!(entry_kind(&link).unwrap(), EntryKind::Symlink);
        let e = read_regular(&link, 1 << 20).unwrap_err();
        assert!(
            matches!(e, ReadRefused::NotRegular(EntryKind::Symlink)),
            "{e}"
        );
        assert!(e.to_string().contains("symbolic link"));
        let fifo = d.path().join("p.csv");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_regular(&fifo, 1 << 20).unwrap_err();
        assert!(matches!(e, ReadRefused::NotRegular(EntryKind::Fifo)), "{e}");
        let e = read_regular(d.path(), 1 << 20).unwrap_err();
        assert!(
            matches!(e, ReadRefused::NotRegular(EntryKind::Directory)),
            "{e}"
        );
        assert!(matches!(
            read_regular(&secret, 4).unwrap_err(),
            ReadRefused::TooLarge(17, 4)
        ));
        assert_eq!(
            read_regular(&secret, 1 << 20).unwrap(),
            b"password=hunter2\n"
        );
    }

    #[test]
    fn moved_spool_files_get_the_spool_mode() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in.csv");
        fs::write(&src, "x").unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o644)).unwrap();
        let dest = d.path().join("out.csv");
        move_spool_file(&src, &dest, Perms::PRIVATE).unwrap();
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A symlink is moved as a link; its target keeps its mode.
        let target = d.path().join("t");
        fs::write(&target, "x").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
        let link = d.path().join("l.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        move_spool_file(&link, &d.path().join("l2.csv"), Perms::PRIVATE).unwrap();
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
}
