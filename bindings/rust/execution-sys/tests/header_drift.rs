//! Fails when src/lib.rs and include/execution.h drift apart: a function,
//! constant or type of one missing in the other, a parameter count that
//! differs, or a struct laid out differently (checked with the C compiler).

use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use execution_sys as sys;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    manifest_dir().join("include/execution.h")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The header without comments.
fn header() -> String {
    let text = read(&header_path());
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Number of parameters in a parameter list's text.
fn param_count(list: &str) -> usize {
    let list = list.trim();
    if list.is_empty() || list == "void" {
        return 0;
    }
    list.split(',').filter(|p| !p.trim().is_empty()).count()
}

/// Function name -> parameter count, of the header's declarations.
fn header_functions() -> BTreeMap<String, usize> {
    let code: String = header()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut functions = BTreeMap::new();
    for statement in code.split(';') {
        let statement = statement.trim();
        if statement.contains("typedef") || statement.contains('{') || statement.contains('}') {
            let Some(brace) = statement.rfind('}') else {
                continue;
            };
            if statement[brace..].contains('(') {
                panic!("unexpected declaration: {statement}");
            }
            continue;
        }
        let Some(open) = statement.find('(') else {
            continue;
        };
        let name: String = statement[..open]
            .trim_end()
            .chars()
            .rev()
            .take_while(|&c| is_ident(c))
            .collect();
        let name: String = name.chars().rev().collect();
        let close = statement.rfind(')').expect("unbalanced declaration");
        functions.insert(name, param_count(&statement[open + 1..close]));
    }
    functions
}

/// Function name -> parameter count, of src/lib.rs's extern block.
fn sys_functions() -> BTreeMap<String, usize> {
    let text = read(&manifest_dir().join("src/lib.rs"));
    let mut functions = BTreeMap::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("pub fn ") {
        rest = &rest[at + "pub fn ".len()..];
        let open = rest.find('(').unwrap();
        let name = rest[..open].trim().to_owned();
        let close = rest.find(')').unwrap();
        functions.insert(name, param_count(&rest[open + 1..close]));
        rest = &rest[close..];
    }
    functions
}

/// Names of the header's macros, enum values and types.
fn header_names() -> (Vec<String>, Vec<String>) {
    let code = header();
    let mut constants = Vec::new();
    for line in code.lines() {
        let line = line.trim();
        if let Some(def) = line.strip_prefix("#define ") {
            let name: String = def.chars().take_while(|&c| is_ident(c)).collect();
            if name != "EXECUTION_H" {
                constants.push(name);
            }
        } else if line.starts_with("EXEC_") && line.contains('=') {
            constants.push(line.chars().take_while(|&c| is_ident(c)).collect());
        }
    }
    let mut types = Vec::new();
    for (at, _) in code.match_indices("typedef") {
        let semi = code[at..].find(';').unwrap() + at;
        // A function pointer: typedef int (*NAME)(...);
        if let Some(star) = code[at..semi].find("(*") {
            let from = at + star + 2;
            types.push(code[from..].chars().take_while(|&c| is_ident(c)).collect());
            continue;
        }
        let end = match code[at..semi].find('{') {
            Some(_) => code[at..]
                .find('}')
                .map(|b| code[at + b..].find(';').unwrap() + at + b)
                .unwrap(),
            None => semi,
        };
        // A function pointer type: typedef void (*name)(...);
        if let Some(star) = code[at..end].find("(*") {
            let from = at + star + 2;
            types.push(code[from..].chars().take_while(|&c| is_ident(c)).collect());
            continue;
        }
        let name: String = code[..end]
            .chars()
            .rev()
            .take_while(|&c| is_ident(c))
            .collect();
        types.push(name.chars().rev().collect());
    }
    (constants, types)
}

#[test]
fn every_function_is_declared_alike() {
    let header = header_functions();
    let sys = sys_functions();
    assert!(
        header.len() >= 30,
        "parsed only {} functions from the header",
        header.len()
    );
    let missing: Vec<_> = header.keys().filter(|f| !sys.contains_key(*f)).collect();
    let extra: Vec<_> = sys.keys().filter(|f| !header.contains_key(*f)).collect();
    assert!(missing.is_empty(), "src/lib.rs lacks {missing:?}");
    assert!(
        extra.is_empty(),
        "src/lib.rs declares {extra:?}, which the header lacks"
    );
    for (name, count) in &header {
        assert_eq!(
            sys[name], *count,
            "{name}: {count} parameters in the header, {} in src/lib.rs",
            sys[name]
        );
    }
}

#[test]
fn every_constant_and_type_is_declared() {
    let text = read(&manifest_dir().join("src/lib.rs"));
    let (constants, types) = header_names();
    assert!(
        constants.len() >= 25,
        "parsed only {} constants",
        constants.len()
    );
    for name in constants {
        assert!(
            text.contains(&format!("pub const {name}:")),
            "src/lib.rs lacks the constant {name}"
        );
    }
    for name in types {
        assert!(
            text.contains(&format!("pub struct {name} "))
                || text.contains(&format!("pub type {name} ")),
            "src/lib.rs lacks the type {name}"
        );
    }
}

#[test]
fn constant_values_match() {
    let probe = r#"
#include <stdio.h>
#include "execution.h"
int main(void) {
	printf("%s %d %d %d\n", EXEC_VERSION, EXEC_VERSION_MAJOR, EXEC_VERSION_MINOR, EXEC_VERSION_PATCH);
	printf("%d %d %d %d %d %d %d %d %d %d\n", EXEC_OK, EXEC_EINVAL, EXEC_ENOTFOUND, EXEC_EEXIST,
	       EXEC_ESTATE, EXEC_ERUNTIME, EXEC_ETIMEDOUT, EXEC_ECLOSED, EXEC_ESYS, EXEC_EINTERNAL);
	printf("%d %d %d %d\n", EXEC_STATE_CREATED, EXEC_STATE_RUNNING, EXEC_STATE_PAUSED, EXEC_STATE_STOPPED);
	printf("%d %d %d %d %d %u %u %d\n", EXEC_IO_NULL, EXEC_IO_PIPE, EXEC_STDIN, EXEC_STDOUT, EXEC_STDERR,
	       EXEC_RUNTIME_OPTIONS_VERSION, EXEC_IO_VERSION, EXEC_IO_MAX_EXTRA_FDS);
	exec_runtime_options o = EXEC_RUNTIME_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	printf("%u %d %d %d %u %d %d %d %d\n", o.version, o.systemd_cgroup, o.debug, o.timeout_ms,
	       io.version, io.stdin_fd, io.stdout_fd, io.stderr_fd, io.terminal);
	exec_exit e = EXEC_EXIT_INIT;
	exec_stats s = EXEC_STATS_INIT;
	exec_bundle_options b = EXEC_BUNDLE_OPTIONS_INIT;
	printf("%u %u %u %llu\n", EXEC_EXIT_VERSION, EXEC_STATS_VERSION, EXEC_BUNDLE_OPTIONS_VERSION,
	       (unsigned long long)EXEC_UNLIMITED);
	printf("%u %d %d %d %d %d\n", e.version, e.status, e.code, e.signal, e.core_dumped, e.oom_killed);
	printf("%u %llu %llu %llu\n", s.version, (unsigned long long)s.cpu_usage_ns,
	       (unsigned long long)s.memory_limit, (unsigned long long)s.io_write_bytes);
	printf("%u %d %lld %lld %g %lld %llu %llu %lld\n", b.version, b.terminal, (long long)b.memory_limit,
	       (long long)b.memory_swap_limit, b.cpus, (long long)b.cpu_quota, (unsigned long long)b.cpu_period,
	       (unsigned long long)b.cpu_shares, (long long)b.pids_limit);
	return 0;
}
"#;
    let o = sys::EXEC_RUNTIME_OPTIONS_INIT;
    let io = sys::EXEC_IO_INIT;
    let expected = format!(
        "{} {} {} {}\n{} {} {} {} {} {} {} {} {} {}\n{} {} {} {}\n{} {} {} {} {} {} {} {}\n{} {} {} {} {} {} {} {} {}\n",
        sys::EXEC_VERSION, sys::EXEC_VERSION_MAJOR, sys::EXEC_VERSION_MINOR, sys::EXEC_VERSION_PATCH,
        sys::EXEC_OK, sys::EXEC_EINVAL, sys::EXEC_ENOTFOUND, sys::EXEC_EEXIST, sys::EXEC_ESTATE,
        sys::EXEC_ERUNTIME, sys::EXEC_ETIMEDOUT, sys::EXEC_ECLOSED, sys::EXEC_ESYS, sys::EXEC_EINTERNAL,
        sys::EXEC_STATE_CREATED, sys::EXEC_STATE_RUNNING, sys::EXEC_STATE_PAUSED, sys::EXEC_STATE_STOPPED,
        sys::EXEC_IO_NULL, sys::EXEC_IO_PIPE, sys::EXEC_STDIN, sys::EXEC_STDOUT, sys::EXEC_STDERR,
        sys::EXEC_RUNTIME_OPTIONS_VERSION, sys::EXEC_IO_VERSION, sys::EXEC_IO_MAX_EXTRA_FDS,
        o.version, o.systemd_cgroup, o.debug, o.timeout_ms,
        io.version, io.stdin_fd, io.stdout_fd, io.stderr_fd, io.terminal,
    );
    let (e, st, b) = (
        sys::EXEC_EXIT_INIT,
        sys::EXEC_STATS_INIT,
        sys::EXEC_BUNDLE_OPTIONS_INIT,
    );
    let expected = expected
        + &format!(
            "{} {} {} {}\n{} {} {} {} {} {}\n{} {} {} {}\n{} {} {} {} {} {} {} {} {}\n",
            sys::EXEC_EXIT_VERSION,
            sys::EXEC_STATS_VERSION,
            sys::EXEC_BUNDLE_OPTIONS_VERSION,
            sys::EXEC_UNLIMITED,
            e.version,
            e.status,
            e.code,
            e.signal,
            e.core_dumped,
            e.oom_killed,
            st.version,
            st.cpu_usage_ns,
            st.memory_limit,
            st.io_write_bytes,
            b.version,
            b.terminal,
            b.memory_limit,
            b.memory_swap_limit,
            b.cpus,
            b.cpu_quota,
            b.cpu_period,
            b.cpu_shares,
            b.pids_limit,
        );
    assert!(
        o.root.is_null()
            && o.runtime_path.is_null()
            && o.runtime_root.is_null()
            && o.log_path.is_null()
    );
    assert_eq!(run_c(probe), expected);
}

#[test]
fn structs_have_the_c_layout() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(t, f) printf(" %zu", offsetof(t, f))
int main(void) {
	printf("%zu", sizeof(exec_runtime_options));
	F(exec_runtime_options, version); F(exec_runtime_options, root); F(exec_runtime_options, runtime_path);
	F(exec_runtime_options, runtime_root); F(exec_runtime_options, systemd_cgroup);
	F(exec_runtime_options, debug); F(exec_runtime_options, log_path); F(exec_runtime_options, timeout_ms);
	printf("\n%zu", sizeof(exec_io));
	F(exec_io, version); F(exec_io, stdin_fd); F(exec_io, stdout_fd); F(exec_io, stderr_fd); F(exec_io, terminal);
	F(exec_io, extra_fds); F(exec_io, extra_fds_count);
	printf("\n%zu", sizeof(exec_exit));
	F(exec_exit, version); F(exec_exit, status); F(exec_exit, code); F(exec_exit, signal);
	F(exec_exit, core_dumped); F(exec_exit, oom_killed);
	printf("\n%zu", sizeof(exec_stats));
	F(exec_stats, version); F(exec_stats, cpu_usage_ns); F(exec_stats, cpu_user_ns);
	F(exec_stats, cpu_system_ns); F(exec_stats, cpu_periods); F(exec_stats, cpu_throttled_periods);
	F(exec_stats, cpu_throttled_ns); F(exec_stats, memory_usage); F(exec_stats, memory_peak);
	F(exec_stats, memory_limit); F(exec_stats, memory_cache); F(exec_stats, memory_swap);
	F(exec_stats, oom_kills); F(exec_stats, pids_current); F(exec_stats, pids_limit);
	F(exec_stats, io_read_bytes); F(exec_stats, io_write_bytes);
	printf("\n%zu", sizeof(exec_bundle_options));
	F(exec_bundle_options, version); F(exec_bundle_options, terminal); F(exec_bundle_options, memory_limit);
	F(exec_bundle_options, memory_swap_limit); F(exec_bundle_options, cpus); F(exec_bundle_options, cpu_quota);
	F(exec_bundle_options, cpu_period); F(exec_bundle_options, cpu_shares); F(exec_bundle_options, pids_limit);
	printf("\n%zu %zu\n", sizeof(exec_state), sizeof(exec_error_code));
	return 0;
}
"#;
    use sys::exec_stats as S;
    use sys::{exec_bundle_options as B, exec_exit as X, exec_io as I, exec_runtime_options as O};
    let stats = [
        size_of::<S>(),
        offset_of!(S, version),
        offset_of!(S, cpu_usage_ns),
        offset_of!(S, cpu_user_ns),
        offset_of!(S, cpu_system_ns),
        offset_of!(S, cpu_periods),
        offset_of!(S, cpu_throttled_periods),
        offset_of!(S, cpu_throttled_ns),
        offset_of!(S, memory_usage),
        offset_of!(S, memory_peak),
        offset_of!(S, memory_limit),
        offset_of!(S, memory_cache),
        offset_of!(S, memory_swap),
        offset_of!(S, oom_kills),
        offset_of!(S, pids_current),
        offset_of!(S, pids_limit),
        offset_of!(S, io_read_bytes),
        offset_of!(S, io_write_bytes),
    ];
    let bundle = [
        size_of::<B>(),
        offset_of!(B, version),
        offset_of!(B, terminal),
        offset_of!(B, memory_limit),
        offset_of!(B, memory_swap_limit),
        offset_of!(B, cpus),
        offset_of!(B, cpu_quota),
        offset_of!(B, cpu_period),
        offset_of!(B, cpu_shares),
        offset_of!(B, pids_limit),
    ];
    let line = |v: &[usize]| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let expected = format!(
        "{} {} {} {} {} {} {} {} {}\n{} {} {} {} {} {} {} {}\n{} {} {} {} {} {} {}\n{}\n{}\n{} {}\n",
        size_of::<O>(),
        offset_of!(O, version),
        offset_of!(O, root),
        offset_of!(O, runtime_path),
        offset_of!(O, runtime_root),
        offset_of!(O, systemd_cgroup),
        offset_of!(O, debug),
        offset_of!(O, log_path),
        offset_of!(O, timeout_ms),
        size_of::<I>(),
        offset_of!(I, version),
        offset_of!(I, stdin_fd),
        offset_of!(I, stdout_fd),
        offset_of!(I, stderr_fd),
        offset_of!(I, terminal),
        offset_of!(I, extra_fds),
        offset_of!(I, extra_fds_count),
        size_of::<X>(),
        offset_of!(X, version),
        offset_of!(X, status),
        offset_of!(X, code),
        offset_of!(X, signal),
        offset_of!(X, core_dumped),
        offset_of!(X, oom_killed),
        line(&stats),
        line(&bundle),
        size_of::<sys::exec_state>(),
        size_of::<sys::exec_error_code>(),
    );
    assert_eq!(run_c(probe), expected);
}

/// Compiles and runs a C program against the header; returns its stdout.
fn run_c(source: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "execution-rs-drift-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let bin = dir.join("probe");
    std::fs::write(&src, source).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let include = header_path().parent().unwrap().to_owned();
    let status = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(status.success(), "the header probe does not compile");
    let out = Command::new(&bin).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn image_options_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(t, f) printf(" %zu", offsetof(t, f))
int main(void) {
	exec_image_options o = EXEC_IMAGE_OPTIONS_INIT;
	printf("%u %u %d %lld %d %d %d\n", EXEC_IMAGE_OPTIONS_VERSION, o.version, o.terminal, o.max_bytes,
	       o.argv == NULL, o.env == NULL, o.cache_dir == NULL);
	printf("%zu", sizeof(exec_image_options));
	F(exec_image_options, version); F(exec_image_options, argv); F(exec_image_options, env);
	F(exec_image_options, cache_dir); F(exec_image_options, terminal); F(exec_image_options, max_bytes);
	printf("\n");
	return 0;
}
"#;
    use sys::exec_image_options as M;
    let o = sys::EXEC_IMAGE_OPTIONS_INIT;
    let expected = format!(
        "{} {} {} {} {} {} {}\n{} {} {} {} {} {} {}\n",
        sys::EXEC_IMAGE_OPTIONS_VERSION,
        o.version,
        o.terminal,
        o.max_bytes,
        i32::from(o.argv.is_null()),
        i32::from(o.env.is_null()),
        i32::from(o.cache_dir.is_null()),
        size_of::<M>(),
        offset_of!(M, version),
        offset_of!(M, argv),
        offset_of!(M, env),
        offset_of!(M, cache_dir),
        offset_of!(M, terminal),
        offset_of!(M, max_bytes),
    );
    assert_eq!(run_c(probe), expected);
}

#[test]
fn rootless_and_hardened_additions_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(t, f) printf(" %zu", offsetof(t, f))
int main(void) {
	exec_bundle_options b = EXEC_BUNDLE_OPTIONS_INIT;
	printf("%d %d %d %d %d\n", EXEC_ENOTSUP, EXEC_USERNS_AUTO, EXEC_USERNS_NONE, EXEC_USERNS_CALLER,
	       EXEC_USERNS_SUBIDS);
	printf("%d %d %d\n", b.userns, b.hardened, b.tmpfs == NULL);
	printf("%zu", sizeof(exec_bundle_options));
	F(exec_bundle_options, userns); F(exec_bundle_options, hardened); F(exec_bundle_options, tmpfs);
	printf("\n");
	return 0;
}
"#;
    use sys::exec_bundle_options as B;
    let b = sys::EXEC_BUNDLE_OPTIONS_INIT;
    let expected = format!(
        "{} {} {} {} {}\n{} {} {}\n{} {} {} {}\n",
        sys::EXEC_ENOTSUP,
        sys::EXEC_USERNS_AUTO,
        sys::EXEC_USERNS_NONE,
        sys::EXEC_USERNS_CALLER,
        sys::EXEC_USERNS_SUBIDS,
        b.userns,
        b.hardened,
        i32::from(b.tmpfs.is_null()),
        size_of::<B>(),
        offset_of!(B, userns),
        offset_of!(B, hardened),
        offset_of!(B, tmpfs),
    );
    assert_eq!(run_c(probe), expected);
}

#[test]
fn workload_additions_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(f) printf(" %zu", offsetof(exec_bundle_options, f))
int main(void) {
	exec_bundle_options b = EXEC_BUNDLE_OPTIONS_INIT;
	printf("%u %d %d %d %d %d %d\n", EXEC_BUNDLE_OPTIONS_VERSION, EXEC_FLAG_KEEP, EXEC_FLAG_ON,
	       EXEC_FLAG_OFF, EXEC_USERNS_RANGE, b.no_new_privileges, b.network == NULL);
	F(env); F(cwd); F(user); F(groups); F(hostname); F(mounts); F(rlimits); F(cap_add);
	F(cap_drop); F(no_new_privileges); F(readonly_rootfs); F(network); F(ports);
	printf("\n");
	return 0;
}
"#;
    use sys::exec_bundle_options as B;
    let b = sys::EXEC_BUNDLE_OPTIONS_INIT;
    let offsets = [
        offset_of!(B, env),
        offset_of!(B, cwd),
        offset_of!(B, user),
        offset_of!(B, groups),
        offset_of!(B, hostname),
        offset_of!(B, mounts),
        offset_of!(B, rlimits),
        offset_of!(B, cap_add),
        offset_of!(B, cap_drop),
        offset_of!(B, no_new_privileges),
        offset_of!(B, readonly_rootfs),
        offset_of!(B, network),
        offset_of!(B, ports),
    ];
    let expected = format!(
        "{} {} {} {} {} {} {}\n{}\n",
        sys::EXEC_BUNDLE_OPTIONS_VERSION,
        sys::EXEC_FLAG_KEEP,
        sys::EXEC_FLAG_ON,
        sys::EXEC_FLAG_OFF,
        sys::EXEC_USERNS_RANGE,
        b.no_new_privileges,
        i32::from(b.network.is_null()),
        offsets.iter().map(|o| format!(" {o}")).collect::<String>(),
    );
    assert_eq!(run_c(probe), expected);
}

#[test]
fn event_layout_and_values_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(f) printf(" %zu", offsetof(exec_event, f))
int main(void) {
	exec_event e = EXEC_EVENT_INIT;
	printf("%zu", sizeof(exec_event));
	F(version); F(type); F(container_id); F(process_id); F(pid); F(time_ns); F(exit); F(dropped);
	printf("\n%u %u %d %d %d %d %d %d %d %d %d %d\n", EXEC_EVENT_VERSION, e.exit.version,
	       EXEC_EVENT_CREATED, EXEC_EVENT_STARTED, EXEC_EVENT_PAUSED, EXEC_EVENT_RESUMED,
	       EXEC_EVENT_EXITED, EXEC_EVENT_OOM, EXEC_EVENT_DELETED, EXEC_EVENT_EXEC_ADDED,
	       EXEC_EVENT_PROCESS_EXITED, EXEC_EVENT_OVERFLOW);
	printf("%zu\n", sizeof(exec_event_type));
	return 0;
}
"#;
    use sys::exec_event as E;
    let e = sys::EXEC_EVENT_INIT;
    let expected = format!(
        "{} {} {} {} {} {} {} {} {}\n{} {} {} {} {} {} {} {} {} {} {} {}\n{}\n",
        size_of::<E>(),
        offset_of!(E, version),
        offset_of!(E, type_),
        offset_of!(E, container_id),
        offset_of!(E, process_id),
        offset_of!(E, pid),
        offset_of!(E, time_ns),
        offset_of!(E, exit),
        offset_of!(E, dropped),
        sys::EXEC_EVENT_VERSION,
        e.exit.version,
        sys::EXEC_EVENT_CREATED,
        sys::EXEC_EVENT_STARTED,
        sys::EXEC_EVENT_PAUSED,
        sys::EXEC_EVENT_RESUMED,
        sys::EXEC_EVENT_EXITED,
        sys::EXEC_EVENT_OOM,
        sys::EXEC_EVENT_DELETED,
        sys::EXEC_EVENT_EXEC_ADDED,
        sys::EXEC_EVENT_PROCESS_EXITED,
        sys::EXEC_EVENT_OVERFLOW,
        size_of::<sys::exec_event_type>(),
    );
    assert!(e.container_id.is_null() && e.process_id.is_null());
    assert_eq!(run_c(probe), expected);
}

#[test]
fn pull_options_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(t, f) printf(" %zu", offsetof(t, f))
int main(void) {
	exec_pull_options o = EXEC_PULL_OPTIONS_INIT;
	printf("%u %u %d %d %d %d %d %d\n", EXEC_PULL_OPTIONS_VERSION, o.version, o.insecure, o.timeout_ms,
	       o.parallel, o.platform == NULL, o.progress == NULL, EXEC_ECANCELED);
	printf("%zu", sizeof(exec_pull_options));
	F(exec_pull_options, version); F(exec_pull_options, platform); F(exec_pull_options, username);
	F(exec_pull_options, password); F(exec_pull_options, ca_file); F(exec_pull_options, insecure);
	F(exec_pull_options, timeout_ms); F(exec_pull_options, parallel); F(exec_pull_options, progress);
	F(exec_pull_options, progress_payload);
	printf("\n");
	return 0;
}
"#;
    use sys::exec_pull_options as M;
    let o = sys::EXEC_PULL_OPTIONS_INIT;
    let expected = format!(
        "{} {} {} {} {} {} {} {}\n{} {} {} {} {} {} {} {} {} {} {}\n",
        sys::EXEC_PULL_OPTIONS_VERSION,
        o.version,
        o.insecure,
        o.timeout_ms,
        o.parallel,
        i32::from(o.platform.is_null()),
        i32::from(o.progress.is_none()),
        sys::EXEC_ECANCELED,
        size_of::<M>(),
        offset_of!(M, version),
        offset_of!(M, platform),
        offset_of!(M, username),
        offset_of!(M, password),
        offset_of!(M, ca_file),
        offset_of!(M, insecure),
        offset_of!(M, timeout_ms),
        offset_of!(M, parallel),
        offset_of!(M, progress),
        offset_of!(M, progress_payload),
    );
    assert_eq!(run_c(probe), expected);
}

#[test]
fn pool_options_match() {
    let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "execution.h"
#define F(t, f) printf(" %zu", offsetof(t, f))
int main(void) {
	exec_pool_options o = EXEC_POOL_OPTIONS_INIT;
	printf("%u %u %u %u %d %d %d\n", EXEC_POOL_OPTIONS_VERSION, o.version, o.size, o.concurrency,
	       o.bundle == NULL, o.io == NULL, o.id_prefix == NULL);
	printf("%zu", sizeof(exec_pool_options));
	F(exec_pool_options, version); F(exec_pool_options, bundle); F(exec_pool_options, size);
	F(exec_pool_options, io); F(exec_pool_options, id_prefix); F(exec_pool_options, concurrency);
	printf("\n");
	return 0;
}
"#;
    use sys::exec_pool_options as M;
    let o = sys::EXEC_POOL_OPTIONS_INIT;
    let expected = format!(
        "{} {} {} {} {} {} {}\n{} {} {} {} {} {} {}\n",
        sys::EXEC_POOL_OPTIONS_VERSION,
        o.version,
        o.size,
        o.concurrency,
        i32::from(o.bundle.is_null()),
        i32::from(o.io.is_null()),
        i32::from(o.id_prefix.is_null()),
        size_of::<M>(),
        offset_of!(M, version),
        offset_of!(M, bundle),
        offset_of!(M, size),
        offset_of!(M, io),
        offset_of!(M, id_prefix),
        offset_of!(M, concurrency),
    );
    assert_eq!(run_c(probe), expected);
}
