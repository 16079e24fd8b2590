//! Events: what the engine tells the host without being asked, through an [`EventListener`]
//! the host implements.

use std::sync::Arc;

use hearth_core::DocKind;
use hearth_sync::Event;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::error::HearthError;

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EngineEvent {
    /// The journal changed: re-read the views on screen. `here`: by a write on this device;
    /// otherwise by changes that arrived.
    ViewsChanged {
        /// Written on this device.
        here: bool,
    },
    /// Changes arrived from a device (a note, a date...): `changes` chunks of them, for the
    /// shared or this person's private journal.
    ChangesReceived {
        /// The device's endpoint id.
        peer: String,
        /// The private journal (else the shared one).
        private: bool,
        /// How many change chunks.
        changes: u64,
    },
    /// A device connected.
    PeerConnected {
        /// Its endpoint id.
        peer: String,
    },
    /// A device disconnected.
    PeerDisconnected {
        /// Its endpoint id.
        peer: String,
    },
    /// This device's journal matched a device's.
    Synced {
        /// Its endpoint id.
        peer: String,
    },
    /// A device joined with a ticket this device made.
    Paired {
        /// Its endpoint id.
        peer: String,
        /// Its name.
        name: String,
    },
    /// A ticket this device made was not used in time, or the pairing broke off.
    PairingFailed {
        /// Why.
        message: String,
    },
    /// A connection with a device ended with an error (it is tried again).
    SessionFailed {
        /// Its endpoint id.
        peer: String,
        /// What went wrong.
        message: String,
    },
    /// Events were dropped because the listener was slower than the engine; re-read
    /// everything shown.
    Missed {
        /// How many.
        count: u64,
    },
}

/// What the host implements to hear [`EngineEvent`]s; called on a thread of the engine's own,
/// one event at a time. A call that blocks holds up the events after it, not the engine.
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: EngineEvent);
}

fn event(e: Event) -> EngineEvent {
    match e {
        Event::Written => EngineEvent::ViewsChanged { here: true },
        Event::ChangesReceived { peer, doc, changes } => EngineEvent::ChangesReceived {
            peer,
            private: doc == DocKind::Private,
            changes: u64::try_from(changes).unwrap_or(u64::MAX),
        },
        Event::PeerConnected { peer } => EngineEvent::PeerConnected { peer },
        Event::PeerDisconnected { peer, .. } => EngineEvent::PeerDisconnected { peer },
        Event::Synced { peer, .. } => EngineEvent::Synced { peer },
        Event::Paired { peer, name } => EngineEvent::Paired { peer, name },
        Event::PairingFailed { why } => EngineEvent::PairingFailed {
            message: why.to_string(),
        },
        Event::SessionError { peer, error } => EngineEvent::SessionFailed {
            peer,
            message: error,
        },
    }
}

/// Ends the event threads of one engine.
#[derive(Debug)]
pub(crate) struct Stop(watch::Sender<bool>);

impl Default for Stop {
    fn default() -> Stop {
        Stop(watch::channel(false).0)
    }
}

impl Stop {
    pub(crate) fn close(&self) {
        self.0.send_replace(true);
    }
}

/// Starts a thread that hands every event of `engine` to `listener` until `stop` is closed.
pub(crate) fn deliver(
    engine: &hearth_sync::Engine,
    stop: &Stop,
    listener: Arc<dyn EventListener>,
) -> Result<(), HearthError> {
    let mut events = engine.events();
    let mut stopped = stop.0.subscribe();
    // Waiting on the engine's channel needs no reactor: a bare current-thread runtime does.
    let waiter = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| HearthError::internal(format!("could not start the events thread: {e}")))?;
    std::thread::Builder::new()
        .name("hearth-events".to_owned())
        .spawn(move || {
            loop {
                let next = waiter.block_on(async {
                    tokio::select! {
                        next = events.recv() => Some(next),
                        _ = stopped.wait_for(|stop| *stop) => None,
                    }
                });
                let next = match next {
                    None | Some(Err(RecvError::Closed)) => return,
                    Some(Err(RecvError::Lagged(n))) => EngineEvent::Missed { count: n },
                    Some(Ok(e)) => {
                        if matches!(e, Event::ChangesReceived { .. }) {
                            listener.on_event(EngineEvent::ViewsChanged { here: false });
                        }
                        event(e)
                    }
                };
                listener.on_event(next);
            }
        })
        .map_err(|e| HearthError::internal(format!("could not start the events thread: {e}")))?;
    Ok(())
}
