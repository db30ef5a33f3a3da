/*
 * execution.h - libexecution, a daemonless OCI container lifecycle library.
 *
 * libexecution runs and supervises containers from an OCI bundle by driving
 * an OCI runtime binary (runc by default, or any runc-compatible CLI such as
 * crun), with no daemon: no containerd, no docker, no shim process.
 *
 * WHAT EVERY USER MUST KNOW
 *
 * Errors. Every fallible function returns an int: EXEC_OK (0) or a negative
 * EXEC_E* code. Decide failure from the return code; exec_last_error() then
 * gives a message for the last failure on the calling thread (never NULL,
 * "" when that thread had no failure yet). No argument, however wrong (NULL,
 * a garbage or freed handle), crashes the host: it yields an error code.
 *
 * Handles. exec_runtime, exec_container, exec_process, exec_events and
 * exec_pool are opaque handles,
 * looked up in a registry on every call and never dereferenced as memory. A
 * NULL handle or out-pointer yields EXEC_EINVAL; a freed, stale or garbage
 * handle EXEC_ECLOSED. Calls that act on a deleted container or process
 * return EXEC_ENOTFOUND; its id, pid, wait and stream ends keep answering
 * until its handle is freed. The per-function docs below list the other
 * codes.
 * Out-parameters are written only on success. Each *_free() releases
 * the handle only: it never kills or deletes a container or a process
 * (but exec_pool_free() deletes the pool's untaken ones).
 * Freeing NULL or freeing twice is a no-op. A container handle stays usable
 * after its runtime handle is freed.
 *
 * Memory. Strings and arrays returned through out-parameters are allocated by
 * the library and owned by the caller: release them with exec_free() and
 * exec_strings_free(). Functions returning `const char *` borrow memory owned
 * by the handle, valid until that handle is freed.
 *
 * Threads. Every function may be called from any thread, concurrently, on the
 * same or different handles. Blocking calls (wait) block only their thread.
 * A callback given to a call (exec_progress_fn) runs on the thread that
 * made the call, before the call returns, never on a thread of the
 * library's.
 *
 * Children and reaping. The library never makes the host a subreaper and
 * never reaps in the host. Runtime calls are spawned, and container inits and exec'd processes
 * reaped, by a small monitor process the library carries inside itself and
 * starts on first use, one per root and confinement (socket
 * `<root>/monitor.sock`, mode 0600, served only to its own user, see Trust
 * model). Containers are the monitor's
 * children, not the host's: the host's waitpid(-1) finds none of them, and
 * the host's own children, orphans and exit statuses stay the host's. The
 * monitor writes each exit into the container's state dir and tells every
 * library process using the root. Every process that opens a runtime on the
 * root shares the monitor; it exits once no process uses it and no
 * container or call of its runs, and the next call starts a new one. If the
 * host dies, its containers live on and their exits are still recorded:
 * exec_container_load() in any later process reports them (set
 * kill_on_exit to have them killed and deleted instead: the monitor
 * publishes their exits and deletions and removes their state dirs). A
 * host that dies in the middle of a create or an exec leaves nothing of
 * it: the monitor kills the runtime call and the process it started,
 * force-deletes the container it made and removes the state dir, unless
 * the container or process was already recorded, in which case it is
 * listed, with kill_on_exit killed and deleted as above. A host that dies
 * in the middle of a delete leaves the container listed, its exit
 * recorded. A delete whose runtime call its deadline cuts still removes
 * the container's cgroup; the state dir stays for a later delete. A
 * container whose monitor died (killed by hand) can still be signalled
 * through a pidfd, waited for and deleted, but its exit status is then
 * unknown (EXEC_ESYS).
 * Signals to one process go through the monitor, whose unreaped child keeps
 * its pid, so they never reach a process that reused the pid.
 *
 * The monitor under load and faults. It runs from a sealed memfd (made
 * with MFD_EXEC where the kernel knows it); where the kernel executes no
 * memfd (vm.memfd_noexec = 2), from a private copy `<root>/monitor-<digest>`
 * (mode 0700, checked byte for byte before it runs), and a root on a noexec
 * mount then cannot start it (EXEC_ESYS saying why). It starts with only
 * /dev/null as stdio and its socket, whatever fds the host left open
 * without O_CLOEXEC, and spawns runtime calls with only their streams
 * and the fds their caller passed (exec_io.extra_fds). It
 * raises its own fd limit to the hard limit (a running container costs it
 * one fd) and gives each runtime call its caller's limits; where a limit is
 * reached, the call that needed the fd fails (EXEC_ESYS "too many open
 * files") and nothing else does. Exit records are written before the exit
 * is told, in one write into a record that is missing or empty (else into
 * a temp file renamed over it), so that every process finds a record
 * missing or empty (not yet) or whole, whoever dies; a thread of the
 * monitor then syncs the records of each 0.1 s together to disk (one
 * deleted by then is not), so that neither the wait nor the next request
 * waits for the disk (a machine that crashes meanwhile may lose the
 * newest records, as it loses their processes). Nothing a library process
 * sends can block it: it opens only regular files without blocking, never
 * waits for an exec, and a connection that does not read gets at most
 * 1 MiB of exits and events queued, then an overflow note (its streams
 * report EXEC_EVENT_OVERFLOW, its waits ask the monitor). Every request to
 * it has a 30 s deadline (EXEC_ETIMEDOUT): a stopped monitor holds up the
 * calls on its root only. kill_on_exit follows the process that opened the
 * connection, not the socket: a child that inherited it does not keep the
 * containers alive. The arguments and environment of a runtime call may
 * take up to 16 MiB (EXEC_EINVAL beyond, before anything starts). A library
 * whose protocol the root's monitor does not speak starts a monitor of its
 * own beside it (`<root>/monitor.v<N>.sock`).
 *
 * What a call inherits from whom. The monitor is shared, but each runtime
 * call (and so each container, which inherits from the runtime) runs as
 * the library process that made it would run it: in that process's mount
 * namespace, so every path a call names (bundle, log_path, runtime_path,
 * console socket) is resolved as the caller sees it, whoever started the
 * monitor; with that process's resource limits (RLIMIT_NOFILE,
 * RLIMIT_NPROC and the rest; a container's config may set its own), umask
 * and OOM score adjustment, read from the caller when the call is made.
 * The monitor itself stays in the namespace of the process that started it.
 * A monitor run by root joins any caller's mount namespace; a rootless one
 * cannot join another (no CAP_SYS_ADMIN), and a call from a caller in a
 * namespace other than its own fails with EXEC_ESYS saying so: a call never
 * runs in another process's view. A limit above the monitor's hard limit
 * stays at the monitor's when the monitor may not raise it. The monitor's
 * own cleanups (kill_on_exit, an undone create) run in its own context.
 * What cannot follow a caller into a call is the monitor's: its seccomp
 * filter, no_new_privs, capabilities (effective and bounding) and LSM
 * label (AppArmor profile, SELinux domain), which it inherited from the
 * process that started it. See the trust model for how a caller confined
 * otherwise is kept from using it.
 *
 * Where the monitor lives. It lowers its OOM score adjustment to -999, so
 * that the OOM killer takes it after the containers and the host, and gives
 * each runtime call (and so its container) its caller's back; without
 * CAP_SYS_RESOURCE (rootless) it keeps the host's. It moves into a cgroup
 * of its own, `libexecution-monitor-<key>` beside the host's cgroup, in the
 * v2 hierarchy and in each v1 one, wherever the host is not in the root
 * cgroup, so that a service manager that stops the host's whole cgroup
 * (systemd's KillMode=control-group, cgroup.kill) or an OOM kill of the
 * host's whole group (memory.oom.group) leaves it and the exits it
 * records; it moves back and removes that cgroup when it exits, and a
 * monitor starting beside an empty one whose monitor is gone removes it.
 * The runtime calls it spawns start there, so a container whose cgroup
 * path is relative (runc's default on v1) gets its cgroup beneath the
 * monitor's, and the monitor's cgroup then stays until that container is
 * deleted and the next monitor starts beside it. The kernel makes a move
 * between cgroups wait for an RCU grace period (5 to 20 ms) unless another
 * move ended just before, so the monitor makes that move on a thread while
 * it already answers, and as it spawns a create or exec it moves into its
 * own cgroup once more: the wait then elapses while the runtime starts,
 * not while it moves the container's process. Where the host cannot make
 * that cgroup (rootless without a delegated, writable parent cgroup; no
 * permission; a read-only cgroupfs) or a hierarchy refuses the move, the
 * monitor stays in the host's cgroup of that hierarchy, and what kills
 * that group takes it: the exits of the containers that outlive it are
 * then unknown (see above); run such a host with KillMode=mixed or
 * process, or in a scope of its own. A host
 * that is a child subreaper starts the monitor as its sibling
 * (CLONE_PARENT), so the monitor is never its child; the host's parent
 * then reaps the short-lived starter. A host that is PID 1 of its pid
 * namespace is the monitor's parent: its wait(-1) reaps the monitor when
 * it exits, and nothing else of the library.
 *
 * Events. exec_events_open() opens a stream of every lifecycle event of a
 * root, from every library process using it: created, started, paused,
 * resumed, exited (with the exit), OOM, deleted, process exec'd and process
 * exited, each with the container id, the process id where there is one and
 * a CLOCK_MONOTONIC timestamp, as containerd publishes them for a task. The
 * root's monitor publishes them in one order, so a container's events come
 * in the order they happened: its start before its init's exit, an exit
 * before the delete that follows it. A lifecycle call's event is published
 * when its runtime call (or, for a start through the exec fifo, the
 * monitor's start) succeeds, before the call returns; an exit before the
 * waits return. Each stream sees the events published after it was
 * opened, and several streams may be open at once. A stream holds a bounded
 * number of events for its reader; a reader that falls that far behind
 * loses the newest events (nothing else ever waits for a reader), and
 * EXEC_EVENT_OVERFLOW takes their place saying how many were lost. Waits
 * never depend on streams. Every stream, container and process also offers
 * a pollable fd (exec_events_fd(), exec_container_exit_fd(),
 * exec_process_exit_fd()) for an event loop with no thread of its own.
 *
 * Fast exec. exec_container_exec() of a process that needs nothing the
 * container's own process lacks (the same user and groups, capabilities,
 * no_new_privileges, AppArmor profile, SELinux label, OOM score and
 * scheduling; args, env, cwd, rlimits, streams and terminal are its own)
 * is a fork inside the container instead of a runtime call: the first
 * such exec of a library process starts the container's exec agent, a
 * small static program the library carries, through the runtime's exec
 * with the container's own process (so in its namespaces, cgroup, LSM
 * label and seccomp filter, with its capabilities), marked non-dumpable;
 * the agent starts each later process as a child of the monitor
 * (CLONE_PARENT; a clone sharing the agent's memory until its exec, as
 * posix_spawn does), which claims, reaps and records it as any exec'd
 * process. The handle, pid, streams, terminal, signal, wait, exit, events,
 * delete and exec_process_load() from another process are the same either
 * way. The agent serves the library process that started it, over a
 * socket pair (one fd in that process while the container runs), and exits
 * when that process closes it or dies. The library trusts nothing it says:
 * it checks that the pidfd passed is of a process in the
 * container's pid namespace, started after the request, that the monitor's
 * child and claimed by no one (else it kills the agent), and the process
 * execs its program only once it is claimed: the monitor lets it go as it
 * claims it, and a go pipe it cannot write fails the exec (EXEC_ESYS,
 * the process killed). An agent killed, stopped (2
 * seconds) or lying sends that exec through the runtime, and the next
 * exec starts a new agent (as after an exec into a paused container,
 * which is EXEC_ESTATE: its frozen agent is replaced); a container whose seccomp filter refuses the
 * agent's fork or pidfd_open has its execs go through the runtime. Any
 * other process, one passed extra fds (exec_io.extra_fds), and every exec
 * with exec_runtime_options.no_agent, is a runtime call. A program the
 * agent cannot find, or a cwd it cannot enter, has the exec retried
 * through the runtime, which reports the error; an exec that fails later
 * (a binary the kernel refuses) has been announced (EXEC_EVENT_EXEC_ADDED,
 * then its exit with status 127) when the call returns EXEC_ERUNTIME. A
 * host that dies in the middle of an agent exec, before the process is
 * recorded, leaves its state dir held by no one: exec_process_load() of
 * the id is EXEC_ENOTFOUND, and the next exec of the id (through the agent
 * or the runtime, from any process) removes that dir and runs, once the
 * process started for the dead host has exited (at once, having run
 * nothing); a dir a live process holds is never touched.
 *
 * Diagnostics. What the library works around or cannot report through a
 * return code (a runtime's stderr and log lines, a monitor started or
 * found gone, a message sent again, dropped events, an exit become
 * unknown) goes to the receiver set with exec_log_set(), on a thread of
 * the library's, or nowhere by default. The Python binding hands it to
 * logging.getLogger("execution"), the Rust one to a closure or the `log`
 * crate.
 *
 * Signals. The only children the host itself ever gets are the monitor's
 * starter, which exits at once (none for a subreaper host), and for the
 * length of an image call (exec_bundle_from_image(), exec_bundle_remove(),
 * exec_image_cache_prune(), exec_image_pull()) the image helper, a program
 * the library carries that does the image work outside the host and that
 * the call reaps by its pid (a host's wait(-1) that reaps it first changes
 * nothing: the call's outcome is what the helper said). The host gets their
 * SIGCHLD and nothing else from the library, whatever SIGCHLD's disposition
 * is (default, ignored, SA_NOCLDWAIT, or a handler). Go, whose runtime the library brings in,
 * needs every signal handler in the process installed with SA_ONSTACK: a
 * handler without it that runs on one of the library's threads can crash
 * the process. So before it starts a monitor, the library adds SA_ONSTACK to
 * a SIGCHLD handler that lacks it, keeping the handler, its mask and its
 * other flags (Python before 3.10 installs handlers without it); so does
 * an image call before it starts the helper. Install
 * every other handler with SA_ONSTACK yourself.
 *
 * fork(). The library's Go runtime cannot run in a child forked from the host
 * after the library started: in such a child every call fails at once with
 * EXEC_ESTATE (checked before entering Go) instead of hanging; the *_free
 * functions do nothing there and the getters of borrowed strings (*_id,
 * exec_runtime_root) return NULL. The functions
 * that need no Go keep working: exec_version, exec_last_error,
 * exec_strerror, exec_free, exec_strings_free and the *_init functions.
 * exec() a new program in the child and use the library there.
 *
 * Files. The library keeps one state dir per container under
 * `<root>/containers/<id>/` (pids, cgroup membership, recorded exits,
 * exec'd processes) and removes it on delete and on every failure path. The
 * runtime's own state is under `runtime_root` (default `<root>/runc`). A
 * bundle made from an image is the caller's until exec_bundle_remove(); its
 * layer cache, when one is used, is the caller's directory, pruned only
 * when the caller asks (exec_image_cache_prune()).
 *
 * Warm pools. An exec_pool keeps `size` containers of one bundle
 * created ahead (namespaces, mounts, cgroups made; `runc init` waiting),
 * so that exec_pool_take() only starts one: the time from "I need one" to
 * "it runs" is a `start`, not a `run`. A pool container is created
 * exactly as exec_container_create() creates one (ids are
 * `<id_prefix><12 hex digits>`), and a take is exec_container_start():
 * the handle it returns is an ordinary container, whose id, pid, stream
 * ends, wait, exec, kill and delete work as for exec_container_run().
 * Refills run on the library's threads, opts->concurrency creates at
 * once, and never block a take. A refill that fails (bundle gone, runtime
 * failing) is returned by the next take that finds no container ready,
 * with the runtime's message; refilling stops until a take has returned
 * that error. A ready container that died before its take is deleted and
 * another taken. Until taken, a pool's containers are marked in their
 * state dirs (a `pool` file naming the pool) and exec_container_list()
 * leaves them out; a pool registers itself as `<root>/pools/<token>`
 * naming its process. exec_pool_free() deletes the containers not taken;
 * if the pool's process dies instead, the next exec_runtime_new() or
 * exec_pool_new() on the root force-deletes them. A host that dies
 * between a take's start and its return leaves that container to the
 * same sweep. A pool's containers count against the root like any other
 * (one fd in the monitor each, a `runc init` of about 2 MiB PSS). On
 * runc a take runs no runtime process (see exec_container_start()).
 *
 * Rootless. The library works for an ordinary user, as runc does
 * rootless: with a NULL root it uses `$XDG_RUNTIME_DIR/libexecution` (the
 * user's own runtime dir; exec_runtime_root() tells the path), or give it
 * any root the user owns. The runtime's root defaults to `<root>/runc`
 * either way. The bundle writers then
 * write a rootless config, as `runc spec --rootless` does: a user
 * namespace mapping root inside to the caller (or, with
 * EXEC_USERNS_SUBIDS, also the caller's /etc/subuid and /etc/subgid
 * ranges, installed by newuidmap and newgidmap), /sys bound from the host,
 * no device cgroup rules. Run, exec, kill, wait, delete and load work as
 * for root. A container gets a cgroup of its own only where the user's
 * cgroup is delegated to it (cgroup v2): elsewhere stats, ps, pause,
 * update and resource limits fail with EXEC_ENOTSUP instead of reading or
 * freezing the caller's own cgroup.
 *
 * Trust model. The root is its user's: the library creates it mode 0700,
 * its state dirs 0700 and its files 0600, and the monitor serves only
 * that uid. Whoever can write the root can make the library act on its
 * behalf, so never share a root with another user or point it into a dir
 * others can write. Even so, state files are resolved beneath
 * `<root>/containers` (openat2-style, os.Root): a symlink planted at
 * `<root>/containers/<id>` or inside it never leads create, load or delete
 * to read, write or remove outside the root; ids and process ids are
 * checked before any path is built from them. A container reaches the
 * host process only through the streams it was given and the fds its
 * caller passed (exec_io.extra_fds): no other fd of the host, with or
 * without O_CLOEXEC, reaches a container or an exec'd process (the
 * monitor spawns them with only their three streams and those fds). A
 * container that floods a pipe nobody reads, or its terminal, blocks only
 * itself: each container has its own pipes and the monitor never reads
 * them, so other containers' calls and waits go on, and a container costs
 * the host only the stream ends it handed over (and, once a fast exec ran,
 * its agent's socket; see Fast exec). What a container may do
 * inside is its config's business: a default config run by root keeps
 * root inside root outside (with 3 capabilities and no seccomp filter);
 * run untrusted code with a hardened config (exec_bundle_options; for a
 * bundle made from an image, exec_image_options.bundle).
 * A call runs with the confinement of the monitor that spawns it, not of
 * its caller (see "What a call inherits from whom"), so a monitor serves
 * only processes confined exactly as it is: same seccomp mode and number
 * of seccomp filters, same no_new_privs, same effective and bounding
 * capabilities, same LSM label, read by the monitor from the connecting
 * process itself. A process confined otherwise (a service with
 * NoNewPrivileges=, SystemCallFilter= or CapabilityBoundingSet=, a
 * process in another AppArmor profile) gets a monitor of its own on the
 * root, started by and so confined as it is (`<root>/monitor.v<N>.<key>.sock`,
 * the key a digest of that confinement); a process under a seccomp filter
 * or no_new_privs never starts the root's shared monitor. A confined
 * process never gains an unconfined spawner, and an unconfined one never
 * gets a confined one. The kernel shows a seccomp filter's depth, not its
 * rules: two processes under different filters of the same depth, with
 * the rest of their confinement equal, share a monitor (confined either
 * way).
 *
 * Networks. A bundle names its container's network
 * (exec_bundle_options.network): its own namespace with only loopback
 * (the default), the host's, an existing namespace, or the library's
 * bridge. For a bridge the library runs the CNI plugins (bridge,
 * host-local, portmap, firewall, loopback; from /usr/lib/cni or
 * /opt/cni/bin) with a network of its own, bridge lexec0 and subnet
 * 10.217.0.0/16 (clear of docker's and podman's), at create: it makes a
 * network namespace under `<root>/network`, attaches it, maps the ports,
 * and gives the runtime a copy of the bundle's config joining that
 * namespace; exec_container_addresses() tells the address. Delete, and
 * every failed create, tear it down (veth, IP lease kept under
 * `<root>/network`, port mappings). What a crash between create and
 * delete leaves goes at the container's next delete, or, when the
 * container is gone, when a runtime next opens the root. Root only.
 *
 * Linking. Link with -lexecution; `pkg-config --cflags --libs execution`
 * gives the flags after `make install`, which installs both
 * libexecution.so and libexecution.a. For a static link use
 * `pkg-config --static --cflags --libs execution` (it adds the system
 * libraries the archive needs) with -static or with the archive's path.
 * The library is built with Go's c-shared or c-archive mode and brings its
 * own runtime threads into the host. The archive also defines Go's runtime
 * symbols, so a program can link at most one Go archive.
 *
 * Versions. EXEC_VERSION is the version of this header, exec_version() the
 * one of the library loaded. Before 1.0 a minor release may change the
 * ABI, so each has its own SONAME (libexecution.so.0.MINOR): a program runs
 * only with the minor it was built against. From 1.0 on, libexecution.so.1
 * for every 1.x. Codes, enum values and EXEC_IO_* constants never
 * change once released. Every struct that crosses the API starts with an
 * `unsigned version` and only ever grows at its end. The caller always sets
 * that version, with the struct's *_INIT macro or *_init() function: in an
 * options struct the library reads only the fields that version has, and in
 * a struct the library fills (exec_exit, exec_stats) it writes only the
 * fields that version has and leaves `version` as it is. An unknown (newer)
 * version is EXEC_EINVAL.
 *
 * Changes.
 * 0.3.0: Each minor release before 1.0 has a SONAME of its own
 *        (libexecution.so.0.3), so a program built against 0.2 no longer
 *        loads 0.3 and fails at run time: the loader refuses it.
 *        Images: every blob is verified against its digest and the
 *        config's diff ids; bundles and caches are mode 0700 and cached
 *        rootfs overlays nosuid,nodev; image labels no longer become
 *        annotations (StopSignal is kept as
 *        "io.libexecution.image.stop-signal"); an image for another
 *        platform is refused. exec_image_options version 2 adds
 *        entrypoint, platform and bundle (exec_bundle_options for image
 *        bundles); in it argv replaces the image's cmd only, as
 *        `docker run IMAGE ARGS` does (a version 1 struct keeps its
 *        meaning). New: exec_image_cache_prune().
 *        The monitor (protocol 3) holds 5000 containers from a host at a
 *        soft fd limit of 1024, writes exit records durably, bounds what
 *        it queues for a reader, and gives every request a deadline (see
 *        The monitor under load and faults); a host that dies mid-create
 *        or mid-exec leaves nothing, and kill_on_exit now deletes the
 *        containers it kills (a later load is EXEC_ENOTFOUND). Relative
 *        runtime_root, log_path and runtime_path resolve against the
 *        caller's working directory. Each runtime call runs in its
 *        caller's mount namespace with the caller's rlimits, umask and
 *        OOM score (protocol 4), and a caller confined otherwise than the
 *        root's monitor (seccomp, no_new_privs, capabilities, LSM label)
 *        gets a monitor of its own; pidfds (Linux 5.3) are now required.
 *        Pulling: exec_image_pull() with exec_pull_options,
 *        exec_pull_options_init() and the progress callback
 *        exec_progress_fn; the new code EXEC_ECANCELED.
 *        exec_image_options version 3 adds progress and
 *        progress_payload: exec_bundle_from_image() reports unpacking.
 *        Workloads: exec_bundle_options version 3 adds what `docker run`
 *        takes (env, cwd, user, groups, hostname, mounts, rlimits,
 *        cap_add, cap_drop, no_new_privileges, readonly_rootfs, network,
 *        ports; EXEC_FLAG_*), also for bundles made from images; new
 *        exec_container_addresses(). EXEC_USERNS_RANGE: a range of ids
 *        per container, which hardened bundles get as root.
 *        exec_container_exec() lays its process_json over the
 *        container's own process: a field it lacks (cwd, user, env...)
 *        is now the container's, no longer a default.
 *        The monitor moves into a cgroup of its own beside the host's
 *        (`libexecution-monitor-<key>`) where the host can make one, so
 *        that killing the host's cgroup no longer takes it; a container
 *        with a relative cgroup path (runc's default on v1) gets its
 *        cgroup beneath it (see Where the monitor lives).
 *        exec_io version 2 adds extra_fds and extra_fds_count: fds of
 *        the caller a container or exec'd process gets as 3, 4, ...
 *        (runc's --preserve-fds), at most EXEC_IO_MAX_EXTRA_FDS; the
 *        monitor (protocol 5) takes them with a call's streams.
 *        Logging: exec_log_set(), a hook for the library's diagnostics
 *        (failed runtime calls with what the runtime said, monitor starts
 *        and restarts, retries, dropped events, unknown exits); see
 *        Logging.
 *        A cached image bundle with a user namespace shares the
 *        unmapped layers of every other bundle, mounted idmapped, where
 *        the kernel has idmapped mounts (else chowned copies per mapping).
 *        Warm pools: exec_pool_new(), exec_pool_take(), exec_pool_fill()
 *        and exec_pool_free() with exec_pool_options and
 *        exec_pool_options_init(); see Warm pools.
 *        Fast exec: an exec like the container's own process is a fork by
 *        the container's exec agent, not a runtime call (see Fast exec;
 *        monitor protocol 5); exec_runtime_options version 3 adds
 *        no_agent to turn it off. An exit is told once its record is
 *        written; the monitor syncs it within 0.1 s.
 *        Starting a container on runc no longer runs `runc start`: the
 *        root's monitor does what it does, reading the byte the init
 *        writes into runc's exec fifo, then removing the fifo (monitor
 *        protocol 6); exec_container_run() on runc is a create and such
 *        a start. A bundle with poststart hooks still goes through the
 *        runtime's own start (or `run --detach`).
 *        The monitor (protocol 7) moves into its cgroup on a thread,
 *        answering meanwhile, and starts the kernel's wait before a
 *        cgroup move as it spawns a create or exec (see Where the
 *        monitor lives): measured, a create in a loop is about 2 ms
 *        faster, a fresh process's first lifecycle 7 to 10 ms.
 *        An agent exec takes a state dir made ahead with its empty exit
 *        record, and the monitor (protocol 8) lets the process exec as it
 *        claims it; a question to a monitor that died as it was asked is
 *        asked again of a new one, as is a message it never read.
 *        The agent's process shares the agent's memory until its exec
 *        (no page tables copied), and the state dir of an agent-run
 *        process deleted through its handle becomes a later exec's.
 * 0.2.0: Containers are the children of a monitor process per root, no
 *        longer of the host, which is no subreaper any more (see Children
 *        and reaping). exec_exit gains a leading `version` (EXEC_EXIT_INIT,
 *        exec_exit_init()) and `oom_killed`: every exec_exit passed to a
 *        wait must now be initialised. exec_runtime_options version 2 adds
 *        kill_on_exit. New: exec_bundle_init_ext() with exec_bundle_options
 *        (resource limits), exec_container_stats() with exec_stats,
 *        exec_container_ps(), exec_container_update(),
 *        exec_bundle_from_image() with exec_image_options, and
 *        exec_bundle_remove(). Ids beginning with '-' are refused. An
 *        ordinary user may leave exec_runtime_options.root NULL for a
 *        default root; exec_runtime_root() tells it.
 *        Rootless use (see Rootless): exec_bundle_options version 2 adds
 *        userns (EXEC_USERNS_*), hardened and tmpfs; the new code
 *        EXEC_ENOTSUP; state files resolved beneath the root (see Trust
 *        model).
 *        Events: exec_events_open(), exec_events_fd(), exec_events_next()
 *        and exec_events_free() with exec_event, exec_event_init() and
 *        exec_event_type; exec_container_exit_fd() and
 *        exec_process_exit_fd().
 */
/**
 * @file execution.h
 * The libexecution API: runtimes, containers and processes. The comment at
 * the top of this header is the manual.
 */
#ifndef EXECUTION_H
#define EXECUTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this header, as "MAJOR.MINOR.PATCH". */
#define EXEC_VERSION "0.3.0"
/** Major version of this header. */
#define EXEC_VERSION_MAJOR 0
/** Minor version of this header. */
#define EXEC_VERSION_MINOR 3
/** Patch version of this header. */
#define EXEC_VERSION_PATCH 0

/** Result codes: EXEC_OK or one of the negative EXEC_E* values. */
typedef enum {
	/** Success. */
	EXEC_OK = 0,
	/** A bad argument: NULL, malformed id, bad JSON, missing bundle. */
	EXEC_EINVAL = -1,
	/** No such container or process. */
	EXEC_ENOTFOUND = -2,
	/** The id is already in use. */
	EXEC_EEXIST = -3,
	/** Not allowed in the current state (or in a forked child). */
	EXEC_ESTATE = -4,
	/** The OCI runtime failed; the message carries what it said. */
	EXEC_ERUNTIME = -5,
	/** The timeout ran out. */
	EXEC_ETIMEDOUT = -6,
	/** The handle is invalid, freed or stale. */
	EXEC_ECLOSED = -7,
	/** A system call failed; the message carries the errno text. */
	EXEC_ESYS = -8,
	/** A bug in the library (a recovered panic). */
	EXEC_EINTERNAL = -9,
	/** Not possible for this user on this host: limits, stats or pause
	 *  of a rootless container without a cgroup of its own. */
	EXEC_ENOTSUP = -10,
	/** Cancelled by the caller: a progress callback returned non-zero. */
	EXEC_ECANCELED = -11
} exec_error_code;

/** A container's state, as exec_container_state() reports it. */
typedef enum {
	/** Created, its process not yet started. */
	EXEC_STATE_CREATED = 1,
	/** Its init process runs. */
	EXEC_STATE_RUNNING = 2,
	/** Frozen by exec_container_pause(). */
	EXEC_STATE_PAUSED = 3,
	/** Its init process has exited. */
	EXEC_STATE_STOPPED = 4
} exec_state;

/** Stream value: connect the stream to /dev/null. */
#define EXEC_IO_NULL (-1)
/** Stream value: the library makes a pipe; *_stdio() hands over its end. */
#define EXEC_IO_PIPE (-2)

/** Stream numbers for exec_container_stdio() and exec_process_stdio(). */
#define EXEC_STDIN 0
/** Stream number of standard output. */
#define EXEC_STDOUT 1
/** Stream number of standard error. */
#define EXEC_STDERR 2

/** A runtime: one state root and one OCI runtime binary. */
typedef struct exec_runtime exec_runtime;
/** A container created or loaded through a runtime. */
typedef struct exec_container exec_container;
/** A process exec'd into a container. */
typedef struct exec_process exec_process;
/** A warm pool of created containers of one bundle. */
typedef struct exec_pool exec_pool;

/** Current version of exec_runtime_options; version 2 added kill_on_exit,
 *  version 3 no_agent. */
#define EXEC_RUNTIME_OPTIONS_VERSION 3

/**
 * Options of exec_runtime_new(). Initialise with EXEC_RUNTIME_OPTIONS_INIT or
 * exec_runtime_options_init(), then set the fields you need.
 */
typedef struct {
	/** EXEC_RUNTIME_OPTIONS_VERSION. */
	unsigned version;
	/** The library's state dir, created with mode 0700 if missing; NULL: the
	 *  default root of an ordinary user (see exec_runtime_new()). */
	const char *root;
	/** The OCI runtime binary; NULL means "runc" from PATH. */
	const char *runtime_path;
	/** The runtime's --root; NULL means "<root>/runc". A relative path, here
	 *  and in root, runtime_path and log_path, is the caller's working
	 *  dir's at exec_runtime_new(). */
	const char *runtime_root;
	/** Non-zero passes --systemd-cgroup to the runtime. */
	int systemd_cgroup;
	/** Non-zero passes --debug to the runtime. */
	int debug;
	/** A file the runtime's log is appended to; NULL keeps no log. */
	const char *log_path;
	/** Deadline of each runtime invocation in ms; 0 means 60000. */
	int timeout_ms;
	/**
	 * Non-zero: when this process exits or dies while containers it
	 * created through this runtime live, the monitor kills and deletes
	 * them and records their exits (version 2).
	 */
	int kill_on_exit;
	/**
	 * Non-zero: every exec_container_exec() is a runtime call, never a
	 * fork by the container's exec agent (see Fast exec) (version 3).
	 */
	int no_agent;
} exec_runtime_options;

/** Static initialiser of exec_runtime_options. */
#define EXEC_RUNTIME_OPTIONS_INIT { EXEC_RUNTIME_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0 }

/** Current version of exec_io; version 2 added extra_fds. */
#define EXEC_IO_VERSION 2

/** The most fds exec_io.extra_fds may pass to one process: they travel to
 *  the monitor in one message with the call's own fds. */
#define EXEC_IO_MAX_EXTRA_FDS 64

/**
 * Standard streams of a container or process. Each of stdin_fd, stdout_fd and
 * stderr_fd is a file descriptor of the caller (the library dups it, the
 * caller keeps its own), EXEC_IO_NULL or EXEC_IO_PIPE. With `terminal`
 * non-zero the process gets a pty instead and the three fds are ignored;
 * *_stdio(handle, EXEC_STDIN) then hands over the pty master.
 * extra_fds are further fds of the caller the process gets as its fds 3, 4,
 * ... in order, as runc's --preserve-fds passes them (with a terminal too).
 */
typedef struct {
	/** EXEC_IO_VERSION. */
	unsigned version;
	/** Standard input: an fd, EXEC_IO_NULL or EXEC_IO_PIPE. */
	int stdin_fd;
	/** Standard output: an fd, EXEC_IO_NULL or EXEC_IO_PIPE. */
	int stdout_fd;
	/** Standard error: an fd, EXEC_IO_NULL or EXEC_IO_PIPE. */
	int stderr_fd;
	/** Non-zero gives the process a pty. */
	int terminal;
	/**
	 * Fds of the caller the process gets as 3, 4, ... in order; NULL when
	 * extra_fds_count is 0. The library dups them during the call: the
	 * caller keeps its own and may close them once the call returns. A
	 * negative or closed fd, one of the library's own (exec_events_fd(),
	 * an exit fd, a monitor connection) or more than
	 * EXEC_IO_MAX_EXTRA_FDS is EXEC_EINVAL before anything starts
	 * (version 2).
	 */
	const int *extra_fds;
	/** Number of fds in extra_fds (version 2). */
	size_t extra_fds_count;
} exec_io;

/** Static initialiser of exec_io: all three streams EXEC_IO_NULL, no extra fds. */
#define EXEC_IO_INIT { EXEC_IO_VERSION, EXEC_IO_NULL, EXEC_IO_NULL, EXEC_IO_NULL, 0, NULL, 0 }

/** Current version of exec_exit. */
#define EXEC_EXIT_VERSION 1

/**
 * How a container's init or an exec'd process ended. Initialise with
 * EXEC_EXIT_INIT or exec_exit_init() before a wait fills it.
 */
typedef struct {
	/** EXEC_EXIT_VERSION, set by the caller. */
	unsigned version;
	/** Exit code for a normal exit, 128 + signal for a signaled one. */
	int status;
	/** Exit code, or -1 when killed by a signal. */
	int code;
	/** The killing signal, or 0 for a normal exit. */
	int signal;
	/** Non-zero when a core was dumped. */
	int core_dumped;
	/**
	 * Non-zero when the kernel's OOM killer killed: for a container, any
	 * process of it while its init ran (its cgroup's count, read when the
	 * exit is seen); for an exec'd process, that process.
	 */
	int oom_killed;
} exec_exit;

/** Static initialiser of exec_exit. */
#define EXEC_EXIT_INIT { EXEC_EXIT_VERSION, 0, 0, 0, 0, 0 }

/** A stream of a root's lifecycle events (see exec_events_open()). */
typedef struct exec_events exec_events;

/** What an exec_event reports. */
typedef enum {
	/** A container was created (exec_container_create() or _run()). */
	EXEC_EVENT_CREATED = 1,
	/** A container was started (exec_container_start() or _run()). */
	EXEC_EVENT_STARTED = 2,
	/** A container was paused. */
	EXEC_EVENT_PAUSED = 3,
	/** A paused container was resumed. */
	EXEC_EVENT_RESUMED = 4,
	/** A container's init exited: pid and exit say which and how. */
	EXEC_EVENT_EXITED = 5,
	/**
	 * The kernel's OOM killer killed a process of a container (process_id
	 * "", pid 0: the kernel counts kills per container). Seen as it happens
	 * in the container's memory cgroup (memory.events on cgroup v2, an
	 * eventfd on memory.oom_control on v1), and at the latest just before
	 * an exit whose oom_killed it sets; that exit names the process.
	 */
	EXEC_EVENT_OOM = 6,
	/** A container was deleted. */
	EXEC_EVENT_DELETED = 7,
	/** A process, process_id, was exec'd in a container. */
	EXEC_EVENT_EXEC_ADDED = 8,
	/** An exec'd process exited: pid and exit say which and how. */
	EXEC_EVENT_PROCESS_EXITED = 9,
	/** The stream was full: `dropped` events were lost here. */
	EXEC_EVENT_OVERFLOW = 10
} exec_event_type;

/** Current version of exec_event. */
#define EXEC_EVENT_VERSION 1

/**
 * One lifecycle event, filled by exec_events_next(). Initialise with
 * EXEC_EVENT_INIT or exec_event_init(). The strings are owned by the
 * stream, valid until the next exec_events_next() on it or its free.
 */
typedef struct {
	/** EXEC_EVENT_VERSION, set by the caller. */
	unsigned version;
	/** An exec_event_type. */
	int type;
	/** The container's id; "" for EXEC_EVENT_OVERFLOW. */
	const char *container_id;
	/** The exec'd process's id; "" for a container's own events. */
	const char *process_id;
	/** The host pid of the process that exited or was OOM-killed, else 0. */
	int pid;
	/** When it was published: CLOCK_MONOTONIC, in nanoseconds. */
	uint64_t time_ns;
	/** How it ended, for the exit events (version EXEC_EXIT_VERSION). */
	exec_exit exit;
	/** How many events were lost, for EXEC_EVENT_OVERFLOW. */
	uint64_t dropped;
} exec_event;

/** Static initialiser of exec_event. */
#define EXEC_EVENT_INIT { EXEC_EVENT_VERSION, 0, NULL, NULL, 0, 0, EXEC_EXIT_INIT, 0 }

/** A limit that is not set, in exec_stats. */
#define EXEC_UNLIMITED UINT64_MAX

/** Current version of exec_stats. */
#define EXEC_STATS_VERSION 1

/**
 * A container's resource use, read from its cgroup by
 * exec_container_stats(). Initialise with EXEC_STATS_INIT or
 * exec_stats_init(). Times are in nanoseconds, sizes in bytes; counters
 * count since the container was created.
 */
typedef struct {
	/** EXEC_STATS_VERSION, set by the caller. */
	unsigned version;
	/** CPU time used, user and system together. */
	uint64_t cpu_usage_ns;
	/** CPU time used in user mode. */
	uint64_t cpu_user_ns;
	/** CPU time used in kernel mode. */
	uint64_t cpu_system_ns;
	/** Enforcement periods of a CPU quota that have elapsed. */
	uint64_t cpu_periods;
	/** Periods in which the container was throttled. */
	uint64_t cpu_throttled_periods;
	/** Time the container was throttled. */
	uint64_t cpu_throttled_ns;
	/** Memory in use now, page cache included. */
	uint64_t memory_usage;
	/** The most memory in use so far. */
	uint64_t memory_peak;
	/** The memory limit, or EXEC_UNLIMITED. */
	uint64_t memory_limit;
	/** Page cache (files and tmpfs) in memory_usage. */
	uint64_t memory_cache;
	/** Swap in use. */
	uint64_t memory_swap;
	/** Processes the kernel's OOM killer killed. */
	uint64_t oom_kills;
	/** Tasks in the container now. */
	uint64_t pids_current;
	/** The tasks limit, or EXEC_UNLIMITED. */
	uint64_t pids_limit;
	/** Bytes read from block devices. */
	uint64_t io_read_bytes;
	/** Bytes written to block devices. */
	uint64_t io_write_bytes;
} exec_stats;

/** Static initialiser of exec_stats. */
#define EXEC_STATS_INIT { EXEC_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/**
 * Current version of exec_bundle_options; version 2 added userns, hardened
 * and tmpfs; version 3 the workload: env to ports.
 */
#define EXEC_BUNDLE_OPTIONS_VERSION 3

/** exec_bundle_options flags (no_new_privileges, readonly_rootfs): keep
 *  the config's value (that of `runc spec`, or the image's bundle). */
#define EXEC_FLAG_KEEP 0
/** exec_bundle_options flags: set it. */
#define EXEC_FLAG_ON 1
/** exec_bundle_options flags: clear it. */
#define EXEC_FLAG_OFF (-1)

/**
 * exec_bundle_options.userns: root inside maps to the caller when the
 * caller is not root; as root, no user namespace, or for a hardened config
 * EXEC_USERNS_RANGE (EXEC_USERNS_SUBIDS for a bundle made from an image).
 */
#define EXEC_USERNS_AUTO 0
/** exec_bundle_options.userns: no user namespace; root only. */
#define EXEC_USERNS_NONE 1
/**
 * exec_bundle_options.userns: root inside is the caller's uid and gid, and
 * no other id is mapped (as `runc spec --rootless`).
 */
#define EXEC_USERNS_CALLER 2
/**
 * exec_bundle_options.userns: root inside is the caller, ids from 1 on the
 * caller's range in /etc/subuid and /etc/subgid (newuidmap and newgidmap
 * install them); as root, ids from 0 on root's range there, so that root
 * inside is an unprivileged uid outside.
 */
#define EXEC_USERNS_SUBIDS 3
/**
 * exec_bundle_options.userns: ids from 0 on map to a free range of 65536
 * host ids chosen for each container at create, as systemd-nspawn picks
 * them: from a block at 0x70000000, clear of the ids of the host's users
 * and groups and of the ranges in /etc/subuid and /etc/subgid. The range
 * is held under the runtime's root (`<root>/userns`) until delete, so two
 * containers of a root never share ids. Root only; not for
 * exec_bundle_from_image(), whose files are owned by the mapped ids.
 */
#define EXEC_USERNS_RANGE 4

/**
 * Options of exec_bundle_init_ext(): the terminal and the common resource
 * limits, written as the config's `linux.resources`. Initialise with
 * EXEC_BUNDLE_OPTIONS_INIT or exec_bundle_options_init(); a limit left 0 is
 * not set.
 */
typedef struct {
	/** EXEC_BUNDLE_OPTIONS_VERSION. */
	unsigned version;
	/** Non-zero sets process.terminal. */
	int terminal;
	/** Memory limit in bytes. */
	int64_t memory_limit;
	/** Memory plus swap limit in bytes, at least memory_limit (which it
	 *  needs); -1 is unlimited swap. */
	int64_t memory_swap_limit;
	/** CPU time as a number of CPUs (1.5 is one and a half), written as a
	 *  quota per cpu_period; excludes cpu_quota. */
	double cpus;
	/** CPU time allowed per cpu_period, in µs (at least 1000); -1 is none. */
	int64_t cpu_quota;
	/** Period of the CPU quota in µs, 1000 to 1000000; 0 with `cpus` means
	 *  100000. */
	uint64_t cpu_period;
	/** Relative CPU weight, 2 to 262144 (1024 is the default weight); the
	 *  runtime turns it into cpu.weight on cgroup v2. */
	uint64_t cpu_shares;
	/** Most tasks the container may have; -1 is unlimited. */
	int64_t pids_limit;
	/** How the container's users map to the host's: EXEC_USERNS_*
	 *  (version 2). */
	int userns;
	/**
	 * Non-zero writes a config fit for untrusted code (version 2): no
	 * capability, no new privileges, the default seccomp filter of Docker
	 * and podman (moby's profile), a read-only rootfs, more masked /proc
	 * and /sys paths, a user namespace also as root (see
	 * EXEC_USERNS_AUTO), and, where limits apply, a pids limit of 1024 and
	 * a memory limit of 1 GiB unless set above.
	 */
	int hardened;
	/** NULL-terminated absolute dirs of the container that get a writable
	 *  tmpfs (nosuid, nodev) over the read-only rootfs; NULL for none
	 *  (version 2). */
	const char *const *tmpfs;
	/*
	 * The workload (version 3), as `docker run` takes it; over an image's
	 * config for exec_bundle_from_image(). NULL or EXEC_FLAG_KEEP leaves
	 * the config's value. Each list is NULL-terminated.
	 */
	/** "NAME=value" entries set over the default environment (PATH, TERM)
	 *  or the image's. */
	const char *const *env;
	/** The process's working dir, absolute. */
	const char *cwd;
	/** "uid[:gid]" or "name[:group]"; names are looked up in the rootfs's
	 *  /etc/passwd and /etc/group, resolved beneath the rootfs. */
	const char *user;
	/** Extra groups, numbers or names in the rootfs's /etc/group. */
	const char *const *groups;
	/** The container's hostname. */
	const char *hostname;
	/** Bind mounts "SOURCE:TARGET[:ro|rw]" (docker's -v): SOURCE an
	 *  absolute host path that exists, mounted recursively with private
	 *  propagation at TARGET, an absolute path in the container. */
	const char *const *mounts;
	/** Resource limits "TYPE=SOFT[:HARD]" (docker's --ulimit), e.g.
	 *  "nofile=4096:8192", set over the default ones. */
	const char *const *rlimits;
	/** Capabilities added, "NET_ADMIN" or "CAP_NET_ADMIN". */
	const char *const *cap_add;
	/** Capabilities dropped first; "ALL" drops every one. */
	const char *const *cap_drop;
	/** process.noNewPrivileges: EXEC_FLAG_*. */
	int no_new_privileges;
	/** root.readonly: EXEC_FLAG_*. */
	int readonly_rootfs;
	/**
	 * The container's network: NULL or "none" (a namespace of its own
	 * with its loopback up), "host" (the host's), an absolute path of a
	 * network namespace to join, or "bridge": the library attaches the
	 * container to its CNI bridge (lexec0, 10.217.0.0/16) at create and
	 * detaches it at delete (see Networks).
	 */
	const char *network;
	/** A bridge's port mappings "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]"
	 *  (docker's -p); HOST_IP defaults to 127.0.0.1. */
	const char *const *ports;
} exec_bundle_options;

/** Static initialiser of exec_bundle_options: no terminal, no limits,
 *  EXEC_USERNS_AUTO, not hardened, no tmpfs, the default workload. */
#define EXEC_BUNDLE_OPTIONS_INIT { EXEC_BUNDLE_OPTIONS_VERSION, 0, 0, 0, 0.0, 0, 0, 0, 0, EXEC_USERNS_AUTO, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, EXEC_FLAG_KEEP, EXEC_FLAG_KEEP, NULL, NULL }

/* ---- Logging -------------------------------------------------------- */

/** Severity of a diagnostic message (exec_log_set()); smaller is more
 *  severe. The values never change. */
typedef enum {
	/** A fault the library could not hide: an exit status became unknown,
	 *  a monitor could not be reached again. */
	EXEC_LOG_ERROR = 1,
	/** A fault worked around or reported by a code: a failed runtime call
	 *  with what it wrote to its log or stderr, a monitor found gone and
	 *  another used, a full event stream, exits the monitor dropped,
	 *  messages the log queue dropped. */
	EXEC_LOG_WARN = 2,
	/** A monitor started (its pid and root), a message sent again to a new
	 *  monitor. */
	EXEC_LOG_INFO = 3,
	/** Each line the runtime logged in a call that succeeded, as read from
	 *  its log (create, run and exec). */
	EXEC_LOG_DEBUG = 4
} exec_log_level;

/**
 * A receiver of the library's diagnostics.
 *
 * @param level an EXEC_LOG_* value, at most the max_level it was set with.
 * @param message one message, UTF-8 as the runtime wrote it, without a
 *        trailing newline; it may span several lines.
 * @param payload the payload given to exec_log_set().
 * message is borrowed, valid only during the call. Called on a thread of
 * the library's (one thread, one message at a time, in the order the
 * messages were made), never while the library holds a lock: it may call
 * any exec_* function, exec_log_set() included. It should return soon:
 * messages made meanwhile wait in a bounded queue.
 */
typedef void (*exec_log_fn)(int level, const char *message, void *payload);

/**
 * Send the library's diagnostics to fn, for this whole process, or turn
 * them off. Without it (the default) they are discarded.
 *
 * Messages up to max_level are queued, at most 1024 of them; when the
 * queue is full a message is dropped, never waited for, and the number
 * dropped is delivered (EXEC_LOG_WARN) after the next message. The queued
 * messages are delivered to the receiver set when their turn comes.
 *
 * @param fn the receiver; NULL turns diagnostics off.
 * @param max_level the least severe level delivered, EXEC_LOG_ERROR to
 *        EXEC_LOG_DEBUG (a larger value is EXEC_LOG_DEBUG); below
 *        EXEC_LOG_ERROR turns diagnostics off.
 * @param payload passed to every call of fn, never dereferenced.
 * @return EXEC_OK, EXEC_ESTATE (in a forked child).
 * The caller keeps payload alive while fn is set. Thread-safe; once it
 * returns, the previous receiver is not called again (called from within
 * the receiver, the call under way is the exception).
 */
int exec_log_set(exec_log_fn fn, int max_level, void *payload);

/* ---- Library -------------------------------------------------------- */

/**
 * Version of the loaded library, as "MAJOR.MINOR.PATCH".
 *
 * @return a static string; never NULL.
 * Thread-safe.
 */
const char *exec_version(void);

/**
 * Message of the last failure on the calling thread.
 *
 * @return a thread-local string, "" if this thread had no failure; never
 *         NULL. Valid until the next failing call on this thread.
 * Thread-safe (each thread sees its own message).
 */
const char *exec_last_error(void);

/**
 * Short description of a result code.
 *
 * @param code EXEC_OK or an EXEC_E* code.
 * @return a static string; "unknown error" for an unknown code.
 * Thread-safe.
 */
const char *exec_strerror(int code);

/**
 * Free memory the library returned (a string from an out-parameter).
 *
 * @param ptr memory to free; NULL is a no-op.
 * Thread-safe.
 */
void exec_free(void *ptr);

/**
 * Free an array of strings the library returned, and its strings.
 *
 * @param v the array; NULL is a no-op.
 * @param count number of strings in v.
 * Thread-safe.
 */
void exec_strings_free(char **v, size_t count);

/**
 * Initialise runtime options for languages without the INIT macro.
 *
 * @param[out] opts options to fill with defaults.
 * @param version EXEC_RUNTIME_OPTIONS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_runtime_options_init(exec_runtime_options *opts, unsigned version);

/**
 * Initialise stream options for languages without the INIT macro: all three
 * streams EXEC_IO_NULL, no terminal.
 *
 * @param[out] io options to fill.
 * @param version EXEC_IO_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_io_init(exec_io *io, unsigned version);

/**
 * Initialise an exit result for languages without the INIT macro.
 *
 * @param[out] e the exit result to fill: version set, all else 0.
 * @param version EXEC_EXIT_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_exit_init(exec_exit *e, unsigned version);

/**
 * Initialise a stats struct for languages without the INIT macro.
 *
 * @param[out] stats the struct to fill: version set, all else 0.
 * @param version EXEC_STATS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_stats_init(exec_stats *stats, unsigned version);

/**
 * Initialise an event for languages without the INIT macro.
 *
 * @param[out] ev the event to fill: version set (its exit's too), all
 *             else 0 or NULL.
 * @param version EXEC_EVENT_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_event_init(exec_event *ev, unsigned version);

/**
 * Initialise bundle options for languages without the INIT macro: no
 * terminal, no limits.
 *
 * @param[out] opts options to fill.
 * @param version EXEC_BUNDLE_OPTIONS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_bundle_options_init(exec_bundle_options *opts, unsigned version);

/* ---- Bundles -------------------------------------------------------- */

/**
 * Write `<bundle_dir>/config.json`: a default runtime-spec config, as
 * `runc spec` makes it, for the rootfs `<bundle_dir>/rootfs`. When that
 * rootfs is a symlink, the config names its resolved absolute path, as
 * runtimes refuse a symlinked rootfs.
 *
 * @param bundle_dir an existing directory.
 * @param argv NULL-terminated process arguments; at least one.
 * @param terminal non-zero sets process.terminal.
 * @return EXEC_OK, EXEC_EINVAL (NULL, empty argv, no such dir),
 *         EXEC_EEXIST (a config.json is there), EXEC_ESYS.
 * Thread-safe.
 */
int exec_bundle_init(const char *bundle_dir, const char *const *argv, int terminal);

/**
 * Write `<bundle_dir>/config.json` as exec_bundle_init() does, with the
 * options' terminal and resource limits in `linux.resources`, for the
 * runtime to enforce, its user namespace, hardening and tmpfs dirs. A
 * caller who is not root gets a rootless config, as `runc spec --rootless`
 * writes it: a user namespace (EXEC_USERNS_AUTO maps root inside to the
 * caller), /sys bound from the host, no device cgroup rules.
 *
 * @param bundle_dir an existing directory.
 * @param argv NULL-terminated process arguments; at least one.
 * @param opts options; NULL means EXEC_BUNDLE_OPTIONS_INIT.
 * @return EXEC_OK, EXEC_EINVAL (NULL, empty argv, no such dir, unknown
 *         version, a limit out of range or limits that exclude each other,
 *         an unknown userns, EXEC_USERNS_NONE when not root,
 *         EXEC_USERNS_SUBIDS without a range for the caller, a tmpfs dir
 *         not absolute, a bad workload value: a relative cwd, a user or
 *         group the rootfs does not know, a mount source that does not
 *         exist, an unknown capability or rlimit, an unknown network or a
 *         bad port; nothing is written), EXEC_ENOTSUP (limits from a
 *         caller who is not root on a cgroup v1 host, where its containers
 *         get no cgroup of their own), EXEC_EEXIST (a config.json is
 *         there), EXEC_ESYS.
 * Thread-safe.
 */
int exec_bundle_init_ext(const char *bundle_dir, const char *const *argv,
                         const exec_bundle_options *opts);

/* ---- Images --------------------------------------------------------- */

/**
 * Progress of a pull, or of the unpacking of an image, reported per
 * blob. Called on the thread that made the call, never on another, between
 * the call's start and its return; it must not call back into the library
 * on that same call's objects.
 *
 * @param blob the blob's digest ("sha256:..."), valid during the call only.
 * @param done bytes of it written so far.
 * @param total its size in bytes.
 * @param payload the payload given with the callback.
 * @return 0 to go on; non-zero cancels the call, which then returns
 *         EXEC_ECANCELED.
 */
typedef int (*exec_progress_fn)(const char *blob, long long done, long long total,
                                void *payload);

/** Current version of exec_image_options; version 2 added entrypoint,
 *  platform and bundle, and made argv replace the image's cmd only;
 *  version 3 progress and progress_payload. */
#define EXEC_IMAGE_OPTIONS_VERSION 3

/**
 * Options of exec_bundle_from_image(). Initialise with
 * EXEC_IMAGE_OPTIONS_INIT or exec_image_options_init(), then set the fields
 * you need.
 */
typedef struct {
	/** EXEC_IMAGE_OPTIONS_VERSION. */
	unsigned version;
	/** NULL-terminated arguments replacing the image's cmd, as
	 *  `docker run IMAGE ARGS...` does: the image's entrypoint (or
	 *  `entrypoint`) stays in front of them; NULL keeps the cmd. A
	 *  version 1 struct's argv replaces the entrypoint and cmd both. */
	const char *const *argv;
	/** NULL-terminated "NAME=value" entries set over the image's env;
	 *  NULL adds none. */
	const char *const *env;
	/** A directory keeping each unpacked layer by digest, shared by the
	 *  bundles made with it: the bundle's rootfs is then an overlay mount of
	 *  the cached layers with the bundle's own upper dir. NULL unpacks every
	 *  layer into the bundle's rootfs instead. */
	const char *cache_dir;
	/** Non-zero sets process.terminal. */
	int terminal;
	/** Most bytes the layers may write, counting each entry and name, and
	 *  what extracting an OCI archive writes; 0 means the free space of the
	 *  file system they are written to. */
	long long max_bytes;
	/* Version 2. */
	/** NULL-terminated entrypoint replacing the image's, and clearing its
	 *  cmd as `docker run --entrypoint` does; an empty array (only the
	 *  NULL) clears the entrypoint. NULL keeps the image's. */
	const char *const *entrypoint;
	/** "linux/ARCH[/VARIANT]": the image to take from an index, and the
	 *  platform the image must be for; NULL is the host's. */
	const char *platform;
	/** The config's resource limits, user namespace, hardening and tmpfs
	 *  dirs, as exec_bundle_init_ext() writes them; NULL sets none. With a
	 *  user namespace the image's files are owned by the host ids its ids
	 *  map to, and bundle_dir by root inside: bundle_dir's parents must
	 *  then be searchable by that id. Unpacked, the files are written so;
	 *  with cache_dir, the one copy of each layer every bundle shares is
	 *  mounted idmapped (Linux 5.19) under the overlay, or where the
	 *  cache's file system takes no idmapped mounts, the cache keeps a
	 *  chowned copy of each layer per mapping. What the container writes
	 *  is owned by its mapped ids on the host. */
	const exec_bundle_options *bundle;
	/* Version 3. */
	/** Told each layer's bytes read (its stored blob: done of total) as
	 *  it is unpacked, on the calling thread; a layer the cache holds is
	 *  not read and not reported. Non-zero cancels: EXEC_ECANCELED, and
	 *  nothing is left, as on any failure. NULL reports none. */
	exec_progress_fn progress;
	/** Passed to progress as its last argument. */
	void *progress_payload;
} exec_image_options;

/** Static initialiser of exec_image_options: the image's own command. */
#define EXEC_IMAGE_OPTIONS_INIT { EXEC_IMAGE_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }

/**
 * Initialise image options for languages without the INIT macro.
 *
 * @param[out] opts options to fill with defaults.
 * @param version EXEC_IMAGE_OPTIONS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_image_options_init(exec_image_options *opts, unsigned version);

/**
 * Make a runtime bundle from an OCI image on disk; no registry is
 * contacted. The image is "PATH[:TAG]": PATH an OCI image layout directory,
 * or an archive as `docker save`, `podman save` or `skopeo copy` write
 * (docker or OCI); TAG picks one image when PATH holds several (an OCI
 * layout's ref name, an archive's "name:tag"). From an image index the
 * host's platform is taken; an image for another OS or architecture is
 * refused. Every blob is verified as it is read, as containerd's content
 * store does: the manifest and config against their descriptors, each
 * layer against its compressed digest and its uncompressed content against
 * the config's diff id, in one pass; a mismatch fails the call naming the
 * blob. The layers are unpacked in
 * order into `<bundle_dir>/rootfs` (whiteouts, opaque dirs, owners, modes,
 * xattrs, links and device nodes as the image says) and `config.json` is
 * written from the image's config: entrypoint and cmd, env (an entry
 * without '=' skipped), working dir (absolute only), user (looked up in
 * the image's /etc/passwd and /etc/group, regular files resolved beneath
 * the rootfs), HOME from passwd unless the image sets one; each of the
 * image's volumes becomes an empty tmpfs (nosuid, nodev, noexec): not the
 * image's content at that path, and gone with the container. The rootfs is
 * writable (read-only with a hardened bundle option). The image's labels never become
 * annotations (runtimes act on some); its StopSignal is kept as the
 * annotation "io.libexecution.image.stop-signal". A layer entry that
 * reaches outside the rootfs (an absolute name, "..", a symlinked parent
 * pointing out, a hard link out), a whiteout naming no file (".wh.",
 * ".wh..") or one exceeding max_bytes (which counts every entry and name,
 * and an OCI archive's extraction) fails the call. bundle_dir is made mode
 * 0700 (an existing one is set to 0700), as is cache_dir; a cached rootfs
 * is an overlay mounted nosuid,nodev: no other user of the host reaches
 * the image's files, setuid files or device nodes. Root only.
 *
 * @param bundle_dir a directory to create, or an existing empty one.
 * @param image the image, as above.
 * @param opts options; NULL runs the image's own command.
 * @return EXEC_OK, EXEC_EINVAL (NULL, no such image or tag, a blob that
 *         does not match its digest, a malformed or malicious image, an
 *         image for another platform, bad options, missing parent dir),
 *         EXEC_EEXIST (bundle_dir not empty), EXEC_ESTATE (not root),
 *         EXEC_ECANCELED (opts->progress returned non-zero), EXEC_ESYS.
 *         On failure nothing the call made is left (no file,
 *         dir or mount) but the verified layers it fully unpacked into
 *         cache_dir, which serve any image sharing them.
 * The bundle is the caller's; remove it with exec_bundle_remove() (which
 * unmounts its overlay). Thread-safe; concurrent calls, from any number of
 * processes, may share a cache_dir (it is locked).
 */
int exec_bundle_from_image(const char *bundle_dir, const char *image,
                           const exec_image_options *opts);

/**
 * Remove a bundle exec_bundle_from_image() made: unmount its rootfs overlay
 * and remove the directory. Delete its containers first. Only a directory
 * whose marker the library wrote for that very path is removed, and never
 * across a mount. The layers stay in the cache until
 * exec_image_cache_prune().
 *
 * @param bundle_dir the bundle.
 * @return EXEC_OK, EXEC_EINVAL (NULL, or not a bundle made from an image:
 *         such a directory is left untouched), EXEC_ESTATE (a container
 *         still has the rootfs as its root, or something is mounted
 *         beneath the bundle: it is left untouched), EXEC_ESYS.
 * Thread-safe.
 */
int exec_bundle_remove(const char *bundle_dir);

/**
 * Remove from a layer cache every layer no live bundle uses, and whatever
 * a crashed exec_bundle_from_image() left there (its mounts too). A bundle
 * is live until exec_bundle_remove() (or until its directory is gone).
 * Waits for the calls making bundles on the cache to finish, and they for
 * it.
 *
 * @param cache_dir the cache_dir given to exec_bundle_from_image().
 * @param[out] removed the number of layers removed; may be NULL.
 * @return EXEC_OK, EXEC_EINVAL (NULL, or not a layer cache), EXEC_ESTATE
 *         (not root), EXEC_ESYS.
 * Thread-safe, also against other processes using the cache.
 */
int exec_image_cache_prune(const char *cache_dir, size_t *removed);

/** Current version of exec_pull_options. */
#define EXEC_PULL_OPTIONS_VERSION 1

/**
 * Options of exec_image_pull(). Initialise with EXEC_PULL_OPTIONS_INIT or
 * exec_pull_options_init(), then set the fields you need.
 */
typedef struct {
	/** EXEC_PULL_OPTIONS_VERSION. */
	unsigned version;
	/** "linux/ARCH[/VARIANT]": the image to take from an index; NULL is
	 *  the host's. */
	const char *platform;
	/** User name for the registry, with password; NULL reads the user's
	 *  docker and podman auth files ($DOCKER_CONFIG/config.json,
	 *  ~/.docker/config.json, $REGISTRY_AUTH_FILE,
	 *  $XDG_RUNTIME_DIR/containers/auth.json) for the registry. */
	const char *username;
	/** Password of username. */
	const char *password;
	/** A PEM file of CA certificates trusted besides the system's. */
	const char *ca_file;
	/** Non-zero allows plain HTTP and TLS without verification to the
	 *  ref's registry. Without it plain HTTP is used only for a loopback
	 *  registry (127.0.0.0/8, ::1, localhost). */
	int insecure;
	/** Milliseconds the whole pull may take; 0 is no limit. */
	int timeout_ms;
	/** Blobs downloaded at once; 0 is 1. */
	int parallel;
	/** Progress callback; NULL reports none. */
	exec_progress_fn progress;
	/** Passed to progress as its last argument. */
	void *progress_payload;
} exec_pull_options;

/** Static initialiser of exec_pull_options: host platform, the user's
 *  auth files, no timeout, one blob at a time, no progress. */
#define EXEC_PULL_OPTIONS_INIT { EXEC_PULL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }

/**
 * Initialise pull options for languages without the INIT macro.
 *
 * @param[out] opts options to fill with defaults.
 * @param version EXEC_PULL_OPTIONS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_pull_options_init(exec_pull_options *opts, unsigned version);

/**
 * Pull an image from a registry into an OCI image layout, as `skopeo copy
 * docker://REF oci:DIR:REF` does, through go-containerregistry's registry
 * client. ref is "REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:HEX" (a
 * docker hub name such as "busybox" means docker.io/library/busybox). From
 * an index the host's platform (or opts->platform) is taken, and only that
 * image is stored. layout_dir is made where missing; the image is named in
 * its index.json by the ref's full name
 * (org.opencontainers.image.ref.name, e.g. "127.0.0.1:5000/app:1"), which
 * exec_bundle_from_image() then takes as "LAYOUT:NAME"; another image of
 * that name is replaced in the index (its blobs stay). Blobs the layout
 * already holds are not fetched again once their content is verified, so
 * a pull that failed part way resumes. Every blob is verified as it is
 * written, as containerd's content store does: written to a temp file in
 * the layout, checked against its digest and size, synced and renamed; a
 * digest ref is verified end to end. A failed or cancelled pull leaves no
 * partial blob and no index entry (blobs it completed stay for a next
 * pull). index.json is replaced whole under a lock, so concurrent pulls
 * into one layout each keep their entry.
 *
 * @param ref the image reference.
 * @param layout_dir the OCI layout to write.
 * @param opts options; NULL takes the defaults.
 * @param[out] digest the stored manifest's digest ("sha256:..."); may be
 *        NULL.
 * @return EXEC_OK, EXEC_EINVAL (NULL, malformed ref, bad options, a blob
 *         not matching its digest, an image for another platform, refused
 *         credentials, a registry error), EXEC_ENOTFOUND (no such
 *         repository, tag or digest in the registry), EXEC_ETIMEDOUT,
 *         EXEC_ECANCELED (the progress callback returned non-zero),
 *         EXEC_ESYS (the registry cannot be reached or went away, or the
 *         layout cannot be written).
 * The caller owns *digest and releases it with exec_free(). Thread-safe;
 * the progress callback runs on the calling thread.
 */
int exec_image_pull(const char *ref, const char *layout_dir,
                    const exec_pull_options *opts, char **digest);

/* ---- Runtime -------------------------------------------------------- */

/**
 * Open a runtime: a state root and an OCI runtime binary.
 *
 * @param opts options. opts->root NULL picks the default root of an
 *        ordinary user, `$XDG_RUNTIME_DIR/libexecution` (a directory of that
 *        user's); as root, and without such a directory, it is required.
 * @param[out] out the new runtime handle.
 * @return EXEC_OK, EXEC_EINVAL (NULL, no root, unknown version, runtime
 *         binary not found), EXEC_ESYS (root cannot be created).
 * The caller owns *out and releases it with exec_runtime_free(). Thread-safe.
 */
int exec_runtime_new(const exec_runtime_options *opts, exec_runtime **out);

/**
 * The state root of a runtime, as given or defaulted, made absolute.
 *
 * @param rt the runtime.
 * @return the root, borrowed from the handle; NULL for an invalid handle.
 * Thread-safe.
 */
const char *exec_runtime_root(exec_runtime *rt);

/**
 * Release a runtime handle. Containers stay as they are; container handles
 * opened through it stay usable.
 *
 * @param rt the handle; NULL, freed or garbage is a no-op.
 * Thread-safe.
 */
void exec_runtime_free(exec_runtime *rt);

/* ---- Containers ----------------------------------------------------- */

/**
 * Create a container from a bundle; its process waits for
 * exec_container_start().
 *
 * @param rt the runtime.
 * @param id container id: letters, digits and `_ + - .`, not "." or "..",
 *        at most 1024 bytes (and what the file system allows in a name).
 * @param bundle directory holding config.json and the rootfs.
 * @param io streams; NULL means all three EXEC_IO_NULL.
 * @param[out] out the new container handle.
 * @return EXEC_OK, EXEC_EINVAL (bad id, missing bundle or broken config.json,
 *         io->terminal not matching process.terminal, a bad extra fd),
 *         EXEC_EEXIST (id in use), EXEC_ERUNTIME (the runtime failed;
 *         nothing is left behind), EXEC_ECLOSED.
 * The caller owns *out and releases it with exec_container_free(). Thread-safe.
 */
int exec_container_create(exec_runtime *rt, const char *id, const char *bundle,
                          const exec_io *io, exec_container **out);

/**
 * Create and start a container: as exec_container_create() then
 * exec_container_start(); with runc, for a bundle with poststart hooks, in
 * one runtime call (`run --detach`) instead. (Other runtimes' detached init
 * may keep a helper of theirs as its parent, which would take its exit
 * status.) Parameters, codes and ownership as exec_container_create().
 */
int exec_container_run(exec_runtime *rt, const char *id, const char *bundle,
                       const exec_io *io, exec_container **out);

/**
 * Start a created container's process. It returns once the process runs
 * what the bundle says (its exec is done). On runc, for a bundle without
 * poststart hooks, no runtime process runs: the root's monitor reads the
 * byte the container's init writes into runc's exec fifo and removes the
 * fifo, which is all `runc start` does; elsewhere the runtime's start runs.
 * The STARTED event is published either way, before the container's exit.
 *
 * @return EXEC_OK, EXEC_ESTATE (not created: running, stopped, or being
 *         started by another call), EXEC_ERUNTIME, EXEC_ETIMEDOUT (the
 *         process did not start within the call timeout), EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_start(exec_container *c);

/**
 * Open a handle to an existing container by id, also one created by another
 * process (reattach after a restart).
 *
 * @param rt the runtime.
 * @param id the container id.
 * @param[out] out the container handle.
 * @return EXEC_OK, EXEC_EINVAL (bad id), EXEC_ENOTFOUND, EXEC_ECLOSED.
 * The caller owns *out and releases it with exec_container_free(). Thread-safe.
 */
int exec_container_load(exec_runtime *rt, const char *id, exec_container **out);

/**
 * List the ids of the runtime's containers, sorted.
 *
 * @param rt the runtime.
 * @param[out] ids array of ids; NULL when count is 0.
 * @param[out] count number of ids.
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ECLOSED, EXEC_ESYS.
 * The caller owns *ids and releases it with exec_strings_free(). Thread-safe.
 */
int exec_container_list(exec_runtime *rt, char ***ids, size_t *count);

/**
 * Current state of a container.
 *
 * @param c the container.
 * @param[out] out EXEC_STATE_CREATED, _RUNNING, _PAUSED or _STOPPED.
 * @return EXEC_OK, EXEC_ENOTFOUND (deleted), EXEC_ECLOSED, EXEC_ERUNTIME.
 * Thread-safe.
 */
int exec_container_state(exec_container *c, exec_state *out);

/**
 * Host pid of a container's init process.
 *
 * @param c the container.
 * @param[out] pid the pid.
 * @return EXEC_OK, EXEC_ECLOSED, EXEC_EINVAL.
 * Thread-safe.
 */
int exec_container_pid(exec_container *c, int *pid);

/**
 * Id of a container.
 *
 * @return the id, borrowed from the handle; NULL for an invalid handle.
 * Thread-safe.
 */
const char *exec_container_id(exec_container *c);

/**
 * Freeze all processes of a running container.
 *
 * @return EXEC_OK, EXEC_ESTATE (not running), EXEC_ENOTSUP (no cgroup of
 *         its own: rootless without a delegated cgroup), EXEC_ERUNTIME,
 *         EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_pause(exec_container *c);

/**
 * Thaw a paused container.
 *
 * @return EXEC_OK, EXEC_ESTATE (not paused), EXEC_ERUNTIME, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_resume(exec_container *c);

/**
 * Send a signal to a container's init process (never to a process that
 * reused its pid), or with `all` to all its processes.
 *
 * @param c the container.
 * @param signal the signal number.
 * @param all non-zero signals every process of the container.
 * @return EXEC_OK, EXEC_EINVAL (bad signal), EXEC_ESTATE (stopped),
 *         EXEC_ERUNTIME, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_kill(exec_container *c, int signal, int all);

/**
 * Wait for a container's init process to exit. On a created container it
 * waits until the container is started and exits. Any number of waits, from
 * any threads, before or after the exit, get the same result.
 *
 * @param c the container.
 * @param timeout_ms < 0 waits forever, 0 polls.
 * @param[out] out how it ended; out->version says which fields to write.
 * @return EXEC_OK, EXEC_EINVAL (NULL, unknown version), EXEC_ETIMEDOUT,
 *         EXEC_ESYS (the exit status cannot be known: the monitor was gone
 *         when the process exited), EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_wait(exec_container *c, int timeout_ms, exec_exit *out);

/**
 * A file descriptor that polls readable (POLLIN) once the exit of a
 * container's init is known, and stays readable: exec_container_wait()
 * then returns at once. For poll(), epoll or an event loop; do not read it.
 *
 * @param c the container.
 * @param[out] fd the file descriptor (close-on-exec); the same one on every
 *             call.
 * @return EXEC_OK, EXEC_EINVAL (NULL fd), EXEC_ESYS, EXEC_ECLOSED.
 * The handle owns *fd, valid until exec_container_free(); do not close it.
 * Thread-safe.
 */
int exec_container_exit_fd(exec_container *c, int *fd);

/**
 * Hand over the caller's end of a stream made with EXEC_IO_PIPE, or the pty
 * master (stream EXEC_STDIN) of a terminal container. Each end is handed
 * over once.
 *
 * @param c the container.
 * @param stream EXEC_STDIN, EXEC_STDOUT or EXEC_STDERR.
 * @param[out] fd the file descriptor (close-on-exec).
 * @return EXEC_OK, EXEC_EINVAL (the stream is no pipe or terminal),
 *         EXEC_ESTATE (already handed over), EXEC_ECLOSED.
 * The caller owns *fd and closes it. Thread-safe.
 */
int exec_container_stdio(exec_container *c, int stream, int *fd);

/**
 * Set the window size of a terminal container's pty.
 *
 * @return EXEC_OK, EXEC_EINVAL (no terminal), EXEC_ESYS, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_resize(exec_container *c, unsigned rows, unsigned cols);

/**
 * Read a container's resource use from its cgroup, in process (no runtime
 * call). A stopped container answers until it is deleted, with what its
 * processes used.
 *
 * @param c the container.
 * @param[out] out the stats; out->version says which fields to write.
 * @return EXEC_OK, EXEC_EINVAL (NULL, unknown version), EXEC_ESTATE (the
 *         container stopped and its cgroup is gone or cannot be found),
 *         EXEC_ENOTSUP (no cgroup of its own: rootless without a delegated
 *         cgroup), EXEC_ENOTFOUND (deleted), EXEC_ESYS, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_stats(exec_container *c, exec_stats *out);

/**
 * List the host pids of a container's processes, sorted, read from its
 * cgroup in process. A stopped container has none.
 *
 * @param c the container.
 * @param[out] pids array of pids; NULL when count is 0.
 * @param[out] count number of pids.
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ESTATE (the container stopped and its
 *         cgroup is gone or cannot be found), EXEC_ENOTSUP (as for stats),
 *         EXEC_ENOTFOUND (deleted), EXEC_ESYS, EXEC_ECLOSED.
 * The caller owns *pids and releases it with exec_free(). Thread-safe.
 */
int exec_container_ps(exec_container *c, int **pids, size_t *count);

/**
 * Change the resources of a live (created, running or paused) container
 * through the runtime's `update`; exec_container_stats() then shows them.
 *
 * @param c the container.
 * @param resources_json an OCI runtime-spec `linux.resources` object, e.g.
 *        {"memory":{"limit":33554432},"pids":{"limit":64}}; fields it
 *        leaves out keep their values.
 * @return EXEC_OK, EXEC_EINVAL (NULL, not a resources object, an unknown
 *         field), EXEC_ESTATE (stopped), EXEC_ENOTSUP (as for stats),
 *         EXEC_ENOTFOUND (deleted), EXEC_ERUNTIME (the runtime refused a
 *         value), EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_container_update(exec_container *c, const char *resources_json);

/**
 * List the addresses a container got on the library's bridge network
 * (see exec_bundle_options.network); none for any other network.
 *
 * @param c the container.
 * @param[out] addrs array of addresses as text ("10.217.0.5"); NULL when
 *        count is 0.
 * @param[out] count number of addresses.
 * @return EXEC_OK, EXEC_EINVAL (NULL), EXEC_ENOTFOUND (deleted),
 *         EXEC_ESYS, EXEC_ECLOSED.
 * The caller owns *addrs and releases it with exec_strings_free().
 * Thread-safe.
 */
int exec_container_addresses(exec_container *c, char ***addrs, size_t *count);

/**
 * Delete a container and its state dir. Without `force` only created and
 * stopped containers can be deleted; with it a running or paused one is
 * killed first.
 *
 * @return EXEC_OK, EXEC_ESTATE (running or paused without force),
 *         EXEC_ENOTFOUND (already deleted), EXEC_ERUNTIME, EXEC_ECLOSED.
 * The handle stays valid until exec_container_free(): calls that act on the
 * container then report EXEC_ENOTFOUND, its wait the recorded exit.
 * Thread-safe.
 */
int exec_container_delete(exec_container *c, int force);

/**
 * Release a container handle, and the stream ends it did not hand over. The
 * container itself is left as it is.
 *
 * @param c the handle; NULL, freed or garbage is a no-op.
 * Thread-safe.
 */
void exec_container_free(exec_container *c);

/* ---- Processes ------------------------------------------------------ */

/**
 * Start an extra process in a running container.
 *
 * @param c the running container.
 * @param process_id id for the process, unique within the container; same
 *        rule as container ids.
 * @param process_json an OCI runtime-spec `process` object (args, env, cwd,
 *        user, terminal), laid over the container's own process as docker
 *        exec does: each top-level field it has replaces the container's
 *        whole (all of "user", all of "env"); each it lacks is the
 *        container's (user and groups, cwd, env, capabilities, rlimits,
 *        noNewPrivileges, apparmorProfile, selinuxLabel), except args,
 *        terminal and consoleSize, which are the exec's own.
 * @param io streams; NULL means all three EXEC_IO_NULL. A terminal is used
 *        when io->terminal or process.terminal is set.
 * @param[out] out the new process handle.
 * A process the container's own process could run, with no extra fds,
 * is forked by the container's exec agent, any other is a runtime call
 * (see Fast exec).
 * @return EXEC_OK, EXEC_EINVAL (bad id or JSON, no args, a bad extra fd),
 *         EXEC_EEXIST, EXEC_ESTATE (container not running), EXEC_ERUNTIME,
 *         EXEC_ECLOSED.
 * The caller owns *out and releases it with exec_process_free(). Thread-safe.
 */
int exec_container_exec(exec_container *c, const char *process_id,
                        const char *process_json, const exec_io *io,
                        exec_process **out);

/**
 * Open a handle to a process exec'd earlier, also by another process.
 *
 * @param c the container.
 * @param process_id the process id given to exec_container_exec().
 * @param[out] out the process handle.
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ENOTFOUND, EXEC_ECLOSED.
 * The caller owns *out and releases it with exec_process_free(). Thread-safe.
 */
int exec_process_load(exec_container *c, const char *process_id, exec_process **out);

/**
 * Id of a process.
 *
 * @return the id, borrowed from the handle; NULL for an invalid handle.
 * Thread-safe.
 */
const char *exec_process_id(exec_process *p);

/**
 * Host pid of an exec'd process.
 *
 * @param p the process.
 * @param[out] pid the pid.
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_process_pid(exec_process *p, int *pid);

/**
 * Send a signal to an exec'd process (never to a process that reused its
 * pid).
 *
 * @return EXEC_OK, EXEC_EINVAL (bad signal), EXEC_ESTATE (exited),
 *         EXEC_ENOTFOUND (deleted), EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_process_signal(exec_process *p, int signal);

/**
 * Wait for an exec'd process to exit; as exec_container_wait().
 *
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ETIMEDOUT, EXEC_ESYS, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_process_wait(exec_process *p, int timeout_ms, exec_exit *out);

/**
 * A file descriptor that polls readable once an exec'd process's exit is
 * known; as exec_container_exit_fd().
 *
 * @param p the process.
 * @param[out] fd the file descriptor (close-on-exec); the same one on every
 *             call.
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ESYS, EXEC_ECLOSED.
 * The handle owns *fd, valid until exec_process_free(); do not close it.
 * Thread-safe.
 */
int exec_process_exit_fd(exec_process *p, int *fd);

/**
 * Hand over a stream end of an exec'd process; as exec_container_stdio().
 *
 * @return EXEC_OK, EXEC_EINVAL, EXEC_ESTATE, EXEC_ECLOSED.
 * The caller owns *fd and closes it. Thread-safe.
 */
int exec_process_stdio(exec_process *p, int stream, int *fd);

/**
 * Set the window size of an exec'd process's pty.
 *
 * @return EXEC_OK, EXEC_EINVAL (no terminal), EXEC_ESYS, EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_process_resize(exec_process *p, unsigned rows, unsigned cols);

/**
 * Remove an exited process's state.
 *
 * @return EXEC_OK, EXEC_ESTATE (still running), EXEC_ENOTFOUND,
 *         EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_process_delete(exec_process *p);

/**
 * Release a process handle, and the stream ends it did not hand over. The
 * process itself is left as it is.
 *
 * @param p the handle; NULL, freed or garbage is a no-op.
 * Thread-safe.
 */
void exec_process_free(exec_process *p);

/* ---- Events --------------------------------------------------------- */

/**
 * Open a stream of the lifecycle events of a runtime's root, as every
 * library process using the root causes them (see Events at the top). It
 * sees every event published after this call began to return.
 *
 * @param rt the runtime.
 * @param capacity how many events the stream holds for its reader before
 *        it drops the newest (then reporting EXEC_EVENT_OVERFLOW); 0 means
 *        1024.
 * @param[out] out the new stream.
 * @return EXEC_OK, EXEC_EINVAL (NULL, capacity above 1048576), EXEC_ESYS
 *         (the monitor cannot be reached), EXEC_ECLOSED.
 * The caller owns *out and frees it with exec_events_free(). Thread-safe.
 */
int exec_events_open(exec_runtime *rt, unsigned capacity, exec_events **out);

/**
 * A file descriptor that polls readable (POLLIN) while exec_events_next()
 * has an event, or an error, to return at once. For poll(), epoll or an
 * event loop; do not read it.
 *
 * @param ev the stream.
 * @param[out] fd the file descriptor (close-on-exec).
 * @return EXEC_OK, EXEC_EINVAL (NULL fd), EXEC_ECLOSED.
 * The stream owns *fd, valid until exec_events_free(); do not close it.
 * Thread-safe.
 */
int exec_events_fd(exec_events *ev, int *fd);

/**
 * Take the next event of a stream, in the order the monitor published them.
 *
 * @param ev the stream.
 * @param timeout_ms < 0 waits forever, 0 polls.
 * @param[out] out the event; out->version says which fields to write.
 * @return EXEC_OK, EXEC_EINVAL (NULL, unknown version), EXEC_ETIMEDOUT (no
 *         event came), EXEC_ESYS (the monitor was lost: the stream ends
 *         after the events it held), EXEC_ECLOSED.
 * out's strings are owned by the stream, valid until its next
 * exec_events_next() or exec_events_free(). Thread-safe: concurrent calls
 * on one stream each get a different event, but each call ends the life of
 * the strings the one before returned; give a stream one reader.
 */
int exec_events_next(exec_events *ev, int timeout_ms, exec_event *out);

/**
 * Close an event stream and its fd.
 *
 * @param ev the stream; NULL, freed or garbage is a no-op.
 * Thread-safe.
 */
void exec_events_free(exec_events *ev);

/* ---- Warm pools ----------------------------------------------------- */

/** Current version of exec_pool_options. */
#define EXEC_POOL_OPTIONS_VERSION 1

/**
 * Options of exec_pool_new(). Initialise with EXEC_POOL_OPTIONS_INIT or
 * exec_pool_options_init(), then set bundle and the fields you need.
 */
typedef struct {
	/** EXEC_POOL_OPTIONS_VERSION. */
	unsigned version;
	/** Directory holding config.json and the rootfs; required. */
	const char *bundle;
	/** How many created containers the pool keeps ready; at least 1. */
	unsigned size;
	/** Each container's streams, as exec_container_create() takes them
	 *  (EXEC_IO_PIPE gives each container pipes of its own); a caller's
	 *  fd is duplicated once by exec_pool_new(). NULL means all three
	 *  EXEC_IO_NULL. */
	const exec_io *io;
	/** Beginning of each container's id; NULL means "pool-". */
	const char *id_prefix;
	/** How many creates refill the pool at once; 0 means 1. */
	unsigned concurrency;
} exec_pool_options;

/** Static initialiser of exec_pool_options: no bundle, size 1, all
 *  streams EXEC_IO_NULL, prefix "pool-", one refill at a time. */
#define EXEC_POOL_OPTIONS_INIT { EXEC_POOL_OPTIONS_VERSION, NULL, 1, NULL, NULL, 0 }

/**
 * Initialise pool options for languages without the INIT macro.
 *
 * @param[out] opts options to fill with defaults.
 * @param version EXEC_POOL_OPTIONS_VERSION.
 * @return EXEC_OK, EXEC_EINVAL for NULL or an unknown version.
 * Thread-safe.
 */
int exec_pool_options_init(exec_pool_options *opts, unsigned version);

/**
 * Open a warm pool (see Warm pools at the top) and start filling it in
 * the background; it returns before any container is made. First it
 * deletes what pools of dead processes left on the root.
 *
 * @param rt the runtime; the pool keeps using it after rt is freed.
 * @param opts the options; bundle is required.
 * @param[out] out the new pool.
 * @return EXEC_OK, EXEC_EINVAL (NULL, unknown version, size 0, missing
 *         bundle or broken config.json, io->terminal not matching
 *         process.terminal, a bad id_prefix), EXEC_ESYS, EXEC_ECLOSED.
 * The caller owns *out and releases it with exec_pool_free(). Thread-safe.
 */
int exec_pool_new(exec_runtime *rt, const exec_pool_options *opts, exec_pool **out);

/**
 * Take a container from the pool and start it; the pool refills in the
 * background.
 *
 * @param pool the pool.
 * @param timeout_ms how long to wait for a ready container: < 0 forever,
 *        0 only one already ready. It bounds the wait, not the start.
 * @param[out] out the started container.
 * @return EXEC_OK, EXEC_ETIMEDOUT (none ready in time), the code of a
 *         refill that failed (EXEC_EINVAL for a bundle gone,
 *         EXEC_ERUNTIME with what the runtime said...), EXEC_ECLOSED.
 * The caller owns *out, an ordinary container it deletes and releases
 * with exec_container_free(); exec_pool_free() leaves it alone.
 * Thread-safe: concurrent takes each get a different container.
 */
int exec_pool_take(exec_pool *pool, int timeout_ms, exec_container **out);

/**
 * Wait until the pool holds its size of ready containers, as a host does
 * before it serves.
 *
 * @param pool the pool.
 * @param timeout_ms < 0 waits forever, 0 polls.
 * @return EXEC_OK, EXEC_ETIMEDOUT, the code of a refill that failed (as
 *         exec_pool_take() returns it), EXEC_ECLOSED.
 * Thread-safe.
 */
int exec_pool_fill(exec_pool *pool, int timeout_ms);

/**
 * Stop refilling, force-delete the containers not taken and release the
 * pool. Unlike the other *_free() functions it deletes containers: those
 * were never handed to the caller. Taken containers are left alone. It
 * blocks until the deletes are done.
 *
 * @param pool the pool; NULL, freed or garbage is a no-op.
 * Thread-safe.
 */
void exec_pool_free(exec_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* EXECUTION_H */
