//! A test that measures or changes something of the whole process (its resident memory, a
//! global log subscriber, a count of the service's background workers) cannot share its process
//! with the other tests of its binary, which run beside it on other threads. Rather than a
//! binary of its own (each costs a link and a start), such a test runs itself again, alone, in a
//! child process of the same test binary.

use std::process::Command;

/// The variable that tells the child which test it is to run for real.
const ALONE: &str = "NECID_TEST_ALONE";

/// Whether the calling test is to do its work here: `true` in the child process that runs it
/// alone; in the test binary's own run, runs that child (the same executable, this one test,
/// one thread), relays its output, fails if it failed, and returns `false`.
///
/// ```no_run
/// #[test]
/// fn the_process_stays_small() {
///     if !necid_testkit::in_a_process_of_its_own() {
///         return;
///     }
///     // ... measure the process ...
/// }
/// ```
///
/// # Panics
/// When called outside a test's own thread (libtest names it after the test), or when the
/// child fails or does not run exactly that test.
pub fn in_a_process_of_its_own() -> bool {
    let thread = std::thread::current();
    let name = thread
        .name()
        .filter(|name| *name != "main")
        .expect("called from a #[test]: its thread carries the test's name");
    if std::env::var_os(ALONE).is_some_and(|alone| alone == name) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, name)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{name}, alone in process:\n{stdout}{stderr}");
    assert!(
        output.status.success(),
        "{name} failed alone in its process"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{name} did not run alone in its process"
    );
    false
}

#[cfg(test)]
mod tests {
    use super::in_a_process_of_its_own;

    #[test]
    fn a_test_alone_runs_in_a_child_process_of_its_own_binary() {
        if !in_a_process_of_its_own() {
            return;
        }
        let parent = std::os::unix::process::parent_id();
        let parent_exe = std::fs::read_link(format!("/proc/{parent}/exe")).expect("the parent");
        assert_eq!(
            parent_exe,
            std::env::current_exe().expect("this binary"),
            "run by its own binary"
        );
    }
}
