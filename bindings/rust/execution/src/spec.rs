//! The OCI process of an exec, as JSON.

use std::fmt::Write;

/// An OCI runtime-spec `process` object for [`Container::exec`]: arguments,
/// environment, working directory, user and terminal.
///
/// As docker exec, what is not set here is the container's own (its
/// config's): user and groups, cwd, environment, capabilities, rlimits, no
/// new privileges and security labels. Once [`env`](ProcessSpec::env),
/// [`envs`](ProcessSpec::envs) or [`env_clear`](ProcessSpec::env_clear) is
/// called, it gets exactly the entries set here and no other: set `PATH`
/// then when `args[0]` is no absolute path.
///
/// ```
/// use execution::ProcessSpec;
/// let spec = ProcessSpec::new(["sh", "-c", "echo $GREETING"])
///     .env("PATH", "/bin")
///     .env("GREETING", "hello")
///     .cwd("/tmp")
///     .user(65534, 65534);
/// assert!(spec.to_json().starts_with(r#"{"args":["sh","-c","echo $GREETING"]"#));
/// ```
///
/// [`Container::exec`]: crate::Container::exec
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ProcessSpec {
    args: Vec<String>,
    env: Option<Vec<String>>,
    cwd: Option<String>,
    user: Option<(u32, u32)>,
    additional_gids: Option<Vec<u32>>,
    terminal: bool,
}

impl ProcessSpec {
    /// A process running `args` (program first) as the container's user in
    /// its working dir.
    pub fn new<I, S>(args: I) -> ProcessSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ProcessSpec {
            args: args.into_iter().map(Into::into).collect(),
            ..ProcessSpec::default()
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> ProcessSpec {
        self.args.push(arg.into());
        self
    }

    /// Appends the environment variable `key=value`; the container's own
    /// environment is then not used.
    pub fn env(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> ProcessSpec {
        self.env
            .get_or_insert_with(Vec::new)
            .push(format!("{}={}", key.as_ref(), value.as_ref()));
        self
    }

    /// Gives the process an empty environment instead of the container's,
    /// dropping the entries set so far.
    pub fn env_clear(mut self) -> ProcessSpec {
        self.env = Some(Vec::new());
        self
    }

    /// Appends environment entries already of the form `KEY=value`.
    pub fn envs<I, S>(mut self, entries: I) -> ProcessSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.env
            .get_or_insert_with(Vec::new)
            .extend(entries.into_iter().map(Into::into));
        self
    }

    /// Sets the working directory inside the container (default "/").
    pub fn cwd(mut self, cwd: impl Into<String>) -> ProcessSpec {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets the user and group ids the process runs as (by default the
    /// container's user); the container's extra groups then do not apply.
    pub fn user(mut self, uid: u32, gid: u32) -> ProcessSpec {
        self.user = Some((uid, gid));
        self
    }

    /// Sets the supplementary group ids (of root, unless
    /// [`user`](ProcessSpec::user) is set).
    pub fn additional_gids(mut self, gids: impl IntoIterator<Item = u32>) -> ProcessSpec {
        self.additional_gids = Some(gids.into_iter().collect());
        self
    }

    /// Gives the process a pty (as [`Io::terminal`](crate::Io::terminal) does).
    pub fn terminal(mut self, terminal: bool) -> ProcessSpec {
        self.terminal = terminal;
        self
    }

    /// The `process` object as compact JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"args\":");
        push_array(&mut out, &self.args);
        if let Some(env) = &self.env {
            out.push_str(",\"env\":");
            push_array(&mut out, env);
        }
        if let Some(cwd) = &self.cwd {
            out.push_str(",\"cwd\":");
            push_string(&mut out, cwd);
        }
        if self.user.is_some() || self.additional_gids.is_some() {
            let (uid, gid) = self.user.unwrap_or((0, 0));
            write!(out, ",\"user\":{{\"uid\":{uid},\"gid\":{gid}").unwrap();
            let gids = self.additional_gids.as_deref().unwrap_or(&[]);
            if !gids.is_empty() {
                out.push_str(",\"additionalGids\":[");
                for (i, gid) in gids.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write!(out, "{gid}").unwrap();
                }
                out.push(']');
            }
            out.push('}');
        }
        write!(out, ",\"terminal\":{}}}", self.terminal).unwrap();
        out
    }
}

fn push_array(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, item);
    }
    out.push(']');
}

/// Appends `s` as a JSON string: quotes and backslashes escaped, control
/// characters as `\u00XX`, everything else (non-ASCII too) as is.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c)).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_string(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    #[test]
    fn minimal_process() {
        assert_eq!(
            ProcessSpec::new(["true"]).to_json(),
            r#"{"args":["true"],"terminal":false}"#
        );
    }

    #[test]
    fn every_field() {
        let spec = ProcessSpec::new(["sh", "-c"])
            .arg("id")
            .env("PATH", "/bin")
            .envs(["A=1"])
            .cwd("/tmp")
            .user(65534, 65533)
            .additional_gids([1, 2])
            .terminal(true);
        assert_eq!(
            spec.to_json(),
            concat!(
                r#"{"args":["sh","-c","id"],"env":["PATH=/bin","A=1"],"cwd":"/tmp","#,
                r#""user":{"uid":65534,"gid":65533,"additionalGids":[1,2]},"terminal":true}"#
            )
        );
    }

    #[test]
    fn environment_unset_set_or_empty() {
        assert!(!ProcessSpec::new(["true"]).to_json().contains("env"));
        assert!(ProcessSpec::new(["true"])
            .env_clear()
            .to_json()
            .contains(r#","env":[],"#));
        assert!(ProcessSpec::new(["true"])
            .env("A", "1")
            .env_clear()
            .envs(["B=2"])
            .to_json()
            .contains(r#","env":["B=2"],"#));
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json_string(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(json_string(r"C:\dir\"), r#""C:\\dir\\""#);
        assert_eq!(json_string("a\nb\tc\r"), r#""a\u000ab\u0009c\u000d""#);
        assert_eq!(json_string("\0\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(json_string("\u{7f} /"), "\"\u{7f} /\"");
        assert_eq!(json_string("grüße, 世界 🚀"), "\"grüße, 世界 🚀\"");
        assert_eq!(json_string(""), r#""""#);
    }

    #[test]
    fn json_never_holds_a_nul_byte() {
        let json = ProcessSpec::new(["a\0b"]).env("K", "\0").to_json();
        assert!(!json.contains('\0'));
    }
}
