//! Password hashing off the async runtime, behind page serving.
//!
//! An argon2id hash or verification takes tens of milliseconds of a core and 19 MiB. Run on
//! tokio's blocking pool, a burst of sign-ins would take CPU time from the threads serving
//! pages in equal shares. Here a few dedicated threads (half the cores) run them at a lower
//! scheduling priority (nice 19 on Linux), so pages keep most of the CPU during a burst and
//! sign-ins use what is left; when nothing else runs, a sign-in runs at full speed.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, oneshot};

/// How nice the hashing threads are: the lowest priority. When page serving wants the whole
/// CPU a nice-19 thread gets about 1.5% of it (CFS weights 15 against 1,024); at nice 10
/// (weight 110) `bench/sign-in` measured no better page throughput than the blocking pool.
/// Sign-ins still use every idle moment, which a server not saturated by pages has plenty of.
const NICENESS: i32 = 19;

type Job = Box<dyn FnOnce() + Send>;

/// Dedicated low-priority threads for password hashing.
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    /// One turn per thread: callers wait here, asynchronously, rather than queue unbounded
    /// work behind the threads.
    turns: Semaphore,
}

impl HashPool {
    /// Starts `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> HashPool {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("lectern-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job, not while it runs.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the pool was dropped
                        }
                    }
                })
                .expect("the OS starts a hashing thread");
        }
        HashPool {
            jobs,
            turns: Semaphore::new(threads),
        }
    }

    /// Runs `f` on a hashing thread and returns its result; `None` if the pool has stopped.
    pub async fn run<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _turn = self.turns.acquire().await.ok()?;
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .ok()?;
        result.await.ok()
    }
}

/// Lowers the calling thread's scheduling priority. Best effort: where it cannot (another OS,
/// or a sandbox that forbids it) the thread simply runs at normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority on our own thread id only changes this
    // thread's nice value and reports failure through its return value, which we ignore.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS);
    }
}
