//! A thread running one async job on a Tokio runtime of its own: how the app's and the home
//! display's workers run beside the Slint event loop.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;

/// The running thread. Tell the job to end (each worker has its own shutdown command), then
/// [`JobThread::join`].
#[derive(Debug)]
pub(crate) struct JobThread {
    name: &'static str,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JobThread {
    /// Starts `job()` on a new thread with a runtime of `workers` threads, all named `name`.
    /// The job's future is made on that thread, so it need not be `Send`.
    pub(crate) fn spawn<F>(
        name: &'static str,
        workers: usize,
        job: impl FnOnce() -> F + Send + 'static,
    ) -> anyhow::Result<JobThread>
    where
        F: Future<Output = ()>,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .enable_all()
            .build()
            .context("could not start the background worker")?;
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                runtime.block_on(job());
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .context("could not start the background thread")?;
        Ok(JobThread {
            name,
            thread: Some(thread),
        })
    }

    /// Hands the running thread over (to a [`Closing`]); this one is then done.
    pub(crate) fn hand_over(&mut self) -> JobThread {
        JobThread {
            name: self.name,
            thread: self.thread.take(),
        }
    }

    /// Waits for the job to end; a second call returns at once.
    pub(crate) fn join(&mut self) {
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!(
                thread = self.name,
                "a background worker stopped with a panic"
            );
        }
    }
}

/// A window's worker on its way out: it closes connections, folds the store if that is due and
/// lets go of the profile on its own thread. Closing a window returns at once; wait for this
/// only where the profile must be free before going on (opening it again, the process ending),
/// and never on the thread that runs the event loop while windows are open.
#[derive(Debug)]
pub struct Closing(JobThread);

impl Closing {
    pub(crate) fn new(thread: JobThread) -> Closing {
        Closing(thread)
    }

    /// Whether the worker has let go of the profile.
    pub fn is_done(&self) -> bool {
        self.0.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits until the worker has let go of the profile.
    pub fn wait(mut self) {
        self.0.join();
    }
}
