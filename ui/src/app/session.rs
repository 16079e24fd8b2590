//! [`Session`]: what the app's worker and the kiosk's share once a journal is open: the engine
//! over the profile (live connections), the work started with it (the command socket), the
//! node handed to whoever asks the window for it, and the engine's events, settled into
//! "rebuild now" moments.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_core::{Profile, Replica};
use hearth_sync::{Engine, EngineConfig, Event, NetConfig, Node, SyncError};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::EngineTask;

/// Where the window's owner finds the running node (tests, the app's `node()`).
pub(crate) type SharedNode = Arc<Mutex<Option<Node>>>;

/// An open journal with its engine, on the worker's runtime.
pub(crate) struct Session {
    engine: Arc<Engine>,
    events: broadcast::Receiver<Event>,
    alongside: Option<JoinHandle<()>>,
    shared: SharedNode,
}

impl Session {
    /// Loads the journal of an open profile (off the runtime's threads), starts the engine
    /// over it with live connections, then the work that goes with it.
    pub(crate) async fn start(
        profile: Profile,
        net: NetConfig,
        with_engine: Option<&EngineTask>,
        shared: SharedNode,
    ) -> Result<Session, SyncError> {
        let replica = tokio::task::spawn_blocking(move || Replica::open(profile))
            .await
            .map_err(|_| SyncError::Closed)??;
        let config = EngineConfig {
            net,
            live: true,
            ..EngineConfig::default()
        };
        let engine = Arc::new(Engine::start_in(replica, config).await?);
        let events = engine.events();
        *shared.lock().unwrap_or_else(|e| e.into_inner()) = engine.node();
        let alongside = with_engine.map(|task| tokio::spawn(task(Arc::clone(&engine))));
        Ok(Session {
            engine,
            events,
            alongside,
            shared,
        })
    }

    /// The engine.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Waits for the engine's next event and lets a burst of them settle for `settle`: then
    /// the screens are rebuilt once.
    pub(crate) async fn changed(&mut self, settle: Duration) {
        loop {
            match self.events.recv().await {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                // The engine keeps its sender for its whole life: never while the session is.
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
        tokio::time::sleep(settle).await;
        self.settled();
    }

    /// Forgets the events waiting now: a rebuild just done covers them (a write's own
    /// `Written` among them).
    pub(crate) fn settled(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// Stops the work started with the engine, then the engine (bounded): the profile can be
    /// opened again once this returns.
    pub(crate) async fn close(self) {
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(task) = self.alongside {
            task.abort();
            let _ = task.await;
        }
        if let Err(e) = self.engine.close_async().await {
            tracing::warn!(error = %e, "the journal was still in use when the window closed");
        }
    }
}
