//! The command line's shape: every command, flag and help text. Parsing happens once, in the
//! process the user started; a running owner re-parses the same words when a command is handed
//! to it, so both sides agree on what was asked.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hearth_core::Timestamp;
use hearth_sync::PairCode;

/// The version and what the build can do: the LinuxKMS kitchen display build says so.
#[cfg(feature = "kiosk-kms")]
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (features: kiosk-kms)");
#[cfg(not(feature = "kiosk-kms"))]
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (features: none; no kiosk-kms)");

/// Hearth: a private journal for two, kept on your own devices.
///
/// Everything you write stays on the devices you paired, merges without conflicts and is sealed
/// wherever it rests. There is no account and no server.
#[derive(Debug, Parser)]
#[command(
    name = "hearth",
    version = VERSION,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "With no command, hearth opens the app window. On the command line, start \
                  with `hearth init --name YOUR-NAME`, then `hearth pair invite` to bring your \
                  partner in. `hearth demo` shows the whole idea with nothing set up."
)]
pub(crate) struct Cli {
    /// The profile directory of this device (default: hearth under your data directory).
    #[arg(long, global = true, env = "HEARTH_PROFILE", value_name = "DIR")]
    pub(crate) profile: Option<PathBuf>,

    /// Print one JSON document instead of text, for scripts.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// What to do; with no command, hearth opens the app window.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Set up this device: a person's phone or computer, or the home display.
    Init(InitArgs),
    /// Pair another device with this journal (yours, your partner's, or the home display).
    #[command(subcommand)]
    Pair(PairCommand),
    /// Leave a note of thanks or a love note on the wall (or edit one with --edit).
    Note(NoteArgs),
    /// Read the wall: appreciations, newest first.
    Wall(WallArgs),
    /// React to a note on the wall (a heart unless you pick something else).
    React(ReactArgs),
    /// Choose whether a note may show on the home display.
    WallSafe(WallSafeArgs),
    /// Plan, change and look back on dates.
    #[command(subcommand)]
    Date(DateCommand),
    /// Upcoming and past date plans, and date ideas without a time yet.
    Dates(DatesArgs),
    /// The idea deck: dates, kindnesses and open questions; mark what you would enjoy.
    #[command(subcommand)]
    Idea(IdeaCommand),
    /// The idea deck, with the ideas you both would enjoy first.
    Ideas(IdeasArgs),
    /// Small kindnesses: log what you did, or browse the idea buckets.
    #[command(subcommand)]
    Kindness(KindnessCommand),
    /// Check in for today: how you feel, and how close you feel.
    Checkin(CheckinArgs),
    /// Check-ins of the last days.
    Checkins(CheckinsArgs),
    /// The week in review: it opens with the week's appreciations.
    Week,
    /// Listening exchanges: one speaks, the other reflects back, the speaker confirms.
    #[command(subcommand)]
    Listen(ListenCommand),
    /// "I" statements: say what happened, how you felt, what you need and what you ask.
    #[command(subcommand, name = "i-statement", alias = "istatement")]
    IStatement(IStatementCommand),
    /// Open questions to ask each other: each answers privately, and the answers open to you
    /// both once both have answered.
    #[command(subcommand)]
    Question(QuestionCommand),
    /// Check a draft for blame words before you say it. Nothing is saved.
    Coach(CoachArgs),
    /// Repairs: name a hurt, have it acknowledged and understood, and let it go.
    #[command(subcommand)]
    Repair(RepairCommand),
    /// Rewrite what you wrote, by its id: a note, a kindness, an idea, a date's title, a
    /// check-in's note or a hurt not yet shared (an "I" statement: `i-statement write --edit`).
    Edit(EditArgs),
    /// Move an item to the trash (it can be restored for 30 days).
    Delete(IdArg),
    /// What is in the trash, and bringing it back.
    #[command(subcommand)]
    Trash(TrashCommand),
    /// Find the notes, dates, ideas, kindnesses, check-in notes and conversations that hold
    /// TEXT (ignoring case), among everything this device can read.
    Search(SearchArgs),
    /// This device at a glance: its profile, whose it is, what the journal holds, and for each
    /// other device when it last synced and how many changes wait for it.
    Status,
    /// Paired devices, who they belong to and when they last synced.
    Devices,
    /// Stop a device from syncing (by name or the start of its id); --undo lets it back.
    Revoke(RevokeArgs),
    /// Run this device headless: listen, stay in sync with every paired device, and carry out
    /// other hearth commands for this profile. Stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Sync once with every paired device that can be reached (and the mailbox, if one is set
    /// up), show what changed, and exit.
    Sync(SyncArgs),
    /// A mailbox keeps your devices' changes, sealed so it cannot read them, for devices that
    /// are not online at the same time: run one, set it up, see how it is doing.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Write the journal out: JSON data, a readable Markdown document, or the date plans as an
    /// iCalendar file.
    Export(ExportArgs),
    /// Write the changes your other devices lack to a sealed file, for a device with no link.
    ExportChanges(ExportChangesArgs),
    /// Bring in a sealed change file written by another device.
    Import(ImportArgs),
    /// Write a backup of the journal, sealed with a passphrase (HEARTH_PASSPHRASE or a prompt).
    Backup(BackupArgs),
    /// Bring a backup back as a new profile (or merge it into this one with --merge).
    Restore(RestoreArgs),
    /// Seal this device's keys with a passphrase, or remove it.
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// Run this device as the home display: full screen for a touch screen, showing only
    /// wall-safe notes and the next date (set it up with `init --display` and pair it first).
    Kiosk(ServeArgs),
    /// Open the app window (what `hearth` with no command does), with network settings.
    App(ServeArgs),
    /// Show the whole idea with nothing set up: two partners and a home display write apart,
    /// meet again, and end with one journal. Uses temporary profiles and loopback only.
    Demo,
    /// Write the manual pages and shell completions for packaging into DIR (`man/` and
    /// `completions/`).
    #[command(hide = true)]
    PackageFiles(PackageFilesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EditArgs {
    /// The item's id (its start or end is enough while it is unique).
    pub(crate) id: String,
    /// The new text.
    pub(crate) text: String,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// What to look for.
    pub(crate) text: String,
    /// Show at most this many, newest first.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Your name, as your partner sees it (for a display: the display's name).
    #[arg(long)]
    pub(crate) name: String,
    /// This device is the home display: it shows the shared wall and belongs to no one.
    #[arg(long)]
    pub(crate) display: bool,
    /// Seal this device's keys with a passphrase (HEARTH_PASSPHRASE or a prompt).
    #[arg(long)]
    pub(crate) passphrase: bool,
}

/// Network settings shared by the commands that go online.
#[derive(Debug, Args, Clone)]
pub(crate) struct NetArgs {
    /// The local address to listen on, as IP:PORT or HOST:PORT (`localhost:4000`) (default:
    /// every interface, the port used last time).
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub(crate) bind: Option<SocketAddr>,
    /// Relays that forward sealed traffic when devices cannot reach each other directly:
    /// off, default (public relays) or the URL of your own relay.
    #[arg(long, value_name = "off|default|URL", default_value = "off")]
    pub(crate) relay: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PairCommand {
    /// Show a one-time ticket (text and QR code) and wait for one device to join with it.
    ///
    /// The ticket is the first line printed. With --json the first line is {"ticket": ...}
    /// and a second line reports the device that joined. With --code, six digits instead
    /// (first line; {"code": ...} with --json), for a device on the same network.
    Invite(InviteArgs),
    /// Join the journal of the device that showed TICKET (or, with --code, the six digits it
    /// shows on this network). Returns once paired and synced.
    Join(JoinArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InviteFor {
    /// Your partner's own device.
    Partner,
    /// Another device of yours: it also gets your private journal.
    Me,
    /// The home display: the shared journal only.
    Display,
}

#[derive(Debug, Args)]
pub(crate) struct InviteArgs {
    /// Who the ticket is for.
    #[arg(long = "for", value_enum, default_value = "partner")]
    pub(crate) role: InviteFor,
    /// How long to wait for a device to join, in seconds (the ticket expires then; a code
    /// lives at most 600).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub(crate) timeout: u64,
    /// Show six digits instead of a ticket. The joining device must be on the same network:
    /// the invitation is announced there over mDNS (the code itself is never sent). One wrong
    /// attempt closes it.
    #[arg(long)]
    pub(crate) code: bool,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct JoinArgs {
    /// The ticket the other device showed (spaces and line breaks are ignored).
    #[arg(required_unless_present = "code")]
    pub(crate) ticket: Option<String>,
    /// The six digits the other device shows (spaces are ignored); it must be on the same
    /// network.
    #[arg(long, value_name = "DIGITS", conflicts_with = "ticket", value_parser = parse_code)]
    pub(crate) code: Option<PairCode>,
    /// How long to try, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct NoteArgs {
    /// What you want to say.
    pub(crate) text: String,
    /// Let the note show on the home display, where guests and children may see it.
    #[arg(long)]
    pub(crate) wall_safe: bool,
    /// Rewrite the note with this id instead of adding a new one.
    #[arg(long, value_name = "ID")]
    pub(crate) edit: Option<String>,
    /// On the home display: the partner who is writing.
    #[arg(long = "as", value_name = "NAME")]
    pub(crate) author: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct WallArgs {
    /// Show at most this many notes.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Only notes by this partner.
    #[arg(long, value_name = "NAME")]
    pub(crate) by: Option<String>,
    /// Only notes that may show on the home display.
    #[arg(long)]
    pub(crate) wall_safe: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReactArgs {
    /// The note's id (or its last few characters, as `hearth wall` shows them).
    pub(crate) id: String,
    /// Your reaction: an emoji or a short word.
    #[arg(default_value = "❤")]
    pub(crate) reaction: String,
    /// Take your reaction back.
    #[arg(long)]
    pub(crate) remove: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnOff {
    /// Yes.
    On,
    /// No.
    Off,
}

impl OnOff {
    pub(crate) fn on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Debug, Args)]
pub(crate) struct WallSafeArgs {
    /// The note's id.
    pub(crate) id: String,
    /// on: it may show on the home display; off: only on your own devices.
    #[arg(value_enum)]
    pub(crate) state: OnOff,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DateCommand {
    /// Plan a date. Without --when it is kept as an idea for later.
    Plan(DatePlanArgs),
    /// Change a planned date.
    Edit(DateEditArgs),
    /// Mark a date as done (then add how it was with `date reflect`).
    Done(IdArg),
    /// Call a date off (it stays in the list, marked cancelled).
    Cancel(IdArg),
    /// Write how the date was for you.
    Reflect(DateReflectArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DatePlanArgs {
    /// What you will do.
    #[arg(long, required_unless_present = "from_idea")]
    pub(crate) title: Option<String>,
    /// Plan an idea from the deck (its id): the date takes the idea's title unless --title
    /// gives another. The idea stays in the deck.
    #[arg(long, value_name = "IDEA")]
    pub(crate) from_idea: Option<String>,
    /// When it starts: 2026-06-12T19:30:00+02:00, or 2026-06-12T19:30 in local time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) when: Option<Timestamp>,
    /// When it ends (same forms as --when).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "when")]
    pub(crate) until: Option<Timestamp>,
    /// Where.
    #[arg(long)]
    pub(crate) place: Option<String>,
    /// Notes for both of you (what to bring, what to book).
    #[arg(long)]
    pub(crate) notes: Option<String>,
    /// Screens away: the home display stays quiet during the date.
    #[arg(long)]
    pub(crate) tech_free: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DateEditArgs {
    /// The date's id.
    pub(crate) id: String,
    /// A new title.
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// A new start time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) when: Option<Timestamp>,
    /// A new end time.
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "no_end")]
    pub(crate) until: Option<Timestamp>,
    /// Clear the end time.
    #[arg(long)]
    pub(crate) no_end: bool,
    /// A new place.
    #[arg(long, conflicts_with = "no_place")]
    pub(crate) place: Option<String>,
    /// Clear the place.
    #[arg(long)]
    pub(crate) no_place: bool,
    /// New notes (merged with edits your partner makes at the same time).
    #[arg(long)]
    pub(crate) notes: Option<String>,
    /// Screens away or not.
    #[arg(long, value_enum, value_name = "on|off")]
    pub(crate) tech_free: Option<OnOff>,
}

#[derive(Debug, Args)]
pub(crate) struct DateReflectArgs {
    /// The date's id.
    pub(crate) id: String,
    /// A few words on how it was.
    pub(crate) text: String,
}

#[derive(Debug, Args)]
pub(crate) struct DatesArgs {
    /// Only dates still to come.
    #[arg(long)]
    pub(crate) upcoming: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IdeaKindArg {
    /// Something to do together.
    Date,
    /// A kindness to do for the other.
    Kindness,
    /// An open question to ask each other.
    Question,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Bucket {
    /// Kind words, notes, compliments.
    Words,
    /// Help with chores and errands.
    Help,
    /// Small gifts and surprises.
    Gifts,
    /// Time together, undivided.
    Time,
    /// Hugs, a hand held.
    Touch,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IdeaCommand {
    /// Add an idea to the deck.
    Add(IdeaAddArgs),
    /// Mark an idea "I'd enjoy this" (--undo takes the mark back).
    Enjoy(IdeaEnjoyArgs),
    /// List the deck (same as `hearth ideas`).
    List(IdeasArgs),
}

#[derive(Debug, Args)]
pub(crate) struct IdeaAddArgs {
    /// The idea.
    pub(crate) title: String,
    /// What kind of idea.
    #[arg(long, value_enum, default_value = "date")]
    pub(crate) kind: IdeaKindArg,
    /// For a kindness: which bucket it belongs to.
    #[arg(long, value_enum)]
    pub(crate) bucket: Option<Bucket>,
}

#[derive(Debug, Args)]
pub(crate) struct IdeaEnjoyArgs {
    /// The idea's id.
    pub(crate) id: String,
    /// Take your mark back.
    #[arg(long)]
    pub(crate) undo: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IdeasArgs {
    /// Only ideas you both would enjoy.
    #[arg(long)]
    pub(crate) matches: bool,
    /// Only this kind of idea.
    #[arg(long, value_enum)]
    pub(crate) kind: Option<IdeaKindArg>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KindnessCommand {
    /// Log a kindness you did.
    Log(KindnessLogArgs),
    /// Kindnesses done, newest first.
    List,
    /// The idea buckets (words, help, gifts, time, touch) with the ideas in each.
    Buckets,
}

#[derive(Debug, Args)]
pub(crate) struct KindnessLogArgs {
    /// What you did.
    pub(crate) what: String,
    /// Which bucket it belongs to, if any.
    #[arg(long, value_enum)]
    pub(crate) bucket: Option<Bucket>,
    /// When you did it, if not just now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) when: Option<Timestamp>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckinArgs {
    /// How you feel today, 1 (low) to 5 (great).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub(crate) mood: u8,
    /// How close you feel to your partner, 1 (far) to 5 (very close).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub(crate) closeness: u8,
    /// One line about it, if you like.
    #[arg(long)]
    pub(crate) note: Option<String>,
    /// The day it is for (default: today, local time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) day: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckinsArgs {
    /// How many days back.
    #[arg(long, default_value_t = 14)]
    pub(crate) days: u32,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ListenCommand {
    /// Say what is on your mind; your partner will reflect it back.
    Start(TextArg),
    /// As the listener: say back, in your own words, what you heard.
    Reflect(IdTextArgs),
    /// As the speaker: "yes, that's it".
    Confirm(IdArg),
    /// As the speaker: say what was missed; the listener reflects again.
    Correct(IdTextArgs),
    /// Listening exchanges, newest first.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuestionCommand {
    /// Tonight's question: one at a time, the same on both your devices all day.
    Next,
    /// Answer a question privately (sealed to your own devices), or change your answer until
    /// your partner has answered too.
    Answer(QuestionAnswerArgs),
    /// Tonight's question, the ones waiting for an answer and how many are answered; with
    /// --answered, both answers of each, side by side.
    List(QuestionListArgs),
    /// Add a question of your own to the deck.
    Add(TextArg),
}

#[derive(Debug, Args)]
pub(crate) struct QuestionAnswerArgs {
    /// The question's id (or its last few characters, as the lists show them).
    pub(crate) id: String,
    /// Your answer.
    pub(crate) text: String,
}

#[derive(Debug, Args)]
pub(crate) struct QuestionListArgs {
    /// Only the questions both have answered, with both answers.
    #[arg(long)]
    pub(crate) answered: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IStatementCommand {
    /// Write an "I" statement. It stays a private draft unless you pass --share; the coach's
    /// hints are shown either way.
    Write(IStatementArgs),
    /// Share a private draft with your partner.
    Share(IdArg),
    /// Shared statements and your own drafts, newest first.
    List,
}

#[derive(Debug, Args)]
pub(crate) struct IStatementArgs {
    /// What happened, as a camera would have seen it.
    #[arg(long)]
    pub(crate) observation: Option<String>,
    /// How you felt.
    #[arg(long)]
    pub(crate) feeling: String,
    /// What you need.
    #[arg(long)]
    pub(crate) need: Option<String>,
    /// What you would like to ask for.
    #[arg(long)]
    pub(crate) request: Option<String>,
    /// Share it with your partner now instead of keeping a draft.
    #[arg(long)]
    pub(crate) share: bool,
    /// Rewrite your private draft with this id instead of writing a new statement (every part
    /// is replaced; --share then shares it).
    #[arg(long, value_name = "ID")]
    pub(crate) edit: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CoachArgs {
    /// The words you are thinking of saying.
    pub(crate) text: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RepairCommand {
    /// Write down a hurt. It stays private unless you pass --share.
    Hurt(HurtArgs),
    /// Acknowledge a hurt your partner shared, in your own words if you like.
    Acknowledge(AcknowledgeArgs),
    /// As the one who was hurt: mark that you understand your partner's side.
    Understood(IdArg),
    /// Let the resentment go. Releasing is not forgetting: every step stays dated.
    Release(IdArg),
    /// Share a private hurt with your partner.
    Share(IdArg),
    /// Shared repairs and your private ones, newest first.
    List,
}

#[derive(Debug, Args)]
pub(crate) struct HurtArgs {
    /// What hurt, in your words.
    pub(crate) text: String,
    /// Share it with your partner now.
    #[arg(long)]
    pub(crate) share: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AcknowledgeArgs {
    /// The repair's id.
    pub(crate) id: String,
    /// What you want to say.
    #[arg(long)]
    pub(crate) words: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TrashCommand {
    /// What is in the trash, most recently deleted first.
    List,
    /// Bring an item back.
    Restore(IdArg),
    /// Move an item to the trash (same as `hearth delete`).
    Delete(IdArg),
    /// Remove for good what has been in the trash for more than 30 days.
    Purge,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// The device's name, or the start of its id.
    pub(crate) device: String,
    /// Let a revoked device sync again.
    #[arg(long)]
    pub(crate) undo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnOffArg {
    /// Yes.
    On,
    /// No.
    Off,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// Find and be found by your devices on the local network (advertises this device's
    /// public key on the LAN).
    #[arg(long, value_enum, default_value = "off")]
    pub(crate) mdns: OnOffArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MailboxCommand {
    /// Run a mailbox on this machine (the home display, a Raspberry Pi, a small server) until
    /// Ctrl-C or SIGTERM. The first line printed is a one-time setup ticket (with --json,
    /// {"ticket": ...}); a new line follows each time one is used.
    Serve(MailboxServeArgs),
    /// Set up the mailbox that printed TICKET: every device of the journal learns it by
    /// syncing and uses it from then on.
    Add(MailboxAddArgs),
    /// The mailbox this journal uses: when it was last reached, what was handed in and
    /// fetched, and what waits to be handed in.
    Status,
    /// Stop using the mailbox; it is asked to forget what it holds for you.
    Remove(MailboxRemoveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MailboxServeArgs {
    /// Where the mailbox keeps its key and its store (made if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: PathBuf,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// How many days a change is kept for a device that does not fetch it.
    #[arg(long, value_name = "DAYS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub(crate) retention_days: u64,
}

#[derive(Debug, Args)]
pub(crate) struct MailboxAddArgs {
    /// The setup ticket `hearth mailbox serve` printed (starts with HEARTHBOX1).
    pub(crate) ticket: String,
    /// How long to wait for the mailbox, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MailboxRemoveArgs {
    /// How long to wait for the mailbox, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// How long to try each device, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// Every item as typed JSON data.
    Json,
    /// A readable document.
    Markdown,
    /// Date plans as an iCalendar file for your calendar app.
    Ics,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// What to write.
    #[arg(long, value_enum)]
    pub(crate) format: ExportFormat,
    /// The file to write (default: print it).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PackageFilesArgs {
    /// Where to write them.
    pub(crate) dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ExportChangesArgs {
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Include every change, not only those the other devices are not known to have.
    #[arg(long)]
    pub(crate) all: bool,
    /// The local address to listen on while the file is made (default: as for `serve`).
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub(crate) bind: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The change file.
    pub(crate) file: PathBuf,
    /// The local address to listen on while the file is read (default: as for `serve`).
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub(crate) bind: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (an age file; `age -d FILE | tar -x` opens it too).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup file.
    pub(crate) file: PathBuf,
    /// Whose device this is, when the journal has two partners.
    #[arg(long = "as", value_name = "NAME", conflicts_with = "display")]
    pub(crate) person: Option<String>,
    /// Restore as the home display.
    #[arg(long)]
    pub(crate) display: bool,
    /// This device's name (default: "NAME's device", or "Home display").
    #[arg(long, value_name = "NAME")]
    pub(crate) device_name: Option<String>,
    /// Merge the backup into the existing profile instead of creating a new one.
    #[arg(long, conflicts_with = "replace")]
    pub(crate) merge: bool,
    /// The way out of a damaged profile: move the existing profile aside (kept whole, beside
    /// it, with the time in its name) and restore the backup in its place.
    #[arg(long)]
    pub(crate) replace: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PassphraseCommand {
    /// Seal this device's keys with a passphrase (HEARTH_PASSPHRASE or a prompt); it is asked
    /// for whenever the profile opens.
    Set,
    /// Remove the passphrase: the keys are then protected by file permissions only.
    Remove,
}

#[derive(Debug, Args)]
pub(crate) struct IdArg {
    /// The item's id (or its last few characters, as the lists show them).
    pub(crate) id: String,
}

#[derive(Debug, Args)]
pub(crate) struct IdTextArgs {
    /// The exchange's id.
    pub(crate) id: String,
    /// What you want to say.
    pub(crate) text: String,
}

#[derive(Debug, Args)]
pub(crate) struct TextArg {
    /// What you want to say.
    pub(crate) text: String,
}

/// Parses a time: RFC 3339 (with an offset), or a local date and time without one.
/// A `--bind` address: an IP address and port, or a host name and port (`localhost:4000`),
/// resolved here. A name with several addresses takes the first IPv4 one (for `localhost`,
/// 127.0.0.1), since the endpoint listens on one address.
pub(crate) fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(format!(
            "{s:?} has no port; write IP:PORT or HOST:PORT, such as 127.0.0.1:4000 or \
             localhost:4000 (port 0 picks a free one)"
        ));
    };
    if port.parse::<u16>().is_err() {
        return Err(format!("{port:?} is not a port number (0 to 65535)"));
    }
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(s)
        .map_err(|e| format!("could not find the address of {host:?}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("{host:?} has no address"))
}

pub(crate) fn parse_time(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Timestamp::from(t));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return naive
                .and_local_timezone(chrono::Local)
                .earliest()
                .map(Timestamp::from)
                .ok_or_else(|| format!("{s} does not exist in the local time zone"));
        }
    }
    Err(format!(
        "{s:?} is not a time; write it like 2026-06-12T19:30:00+02:00 or 2026-06-12T19:30 \
         (local time)"
    ))
}

/// A pairing code from the command line: six digits, or a usage error.
fn parse_code(s: &str) -> Result<PairCode, String> {
    s.parse().map_err(|e: hearth_sync::SyncError| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn bind_addresses_take_host_names() {
        assert_eq!(
            parse_bind("127.0.0.1:4000").unwrap(),
            "127.0.0.1:4000".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_bind("[::1]:0").unwrap(),
            "[::1]:0".parse::<SocketAddr>().unwrap()
        );
        let local = parse_bind("localhost:4000").unwrap();
        assert!(local.ip().is_loopback(), "{local}");
        assert_eq!(local.port(), 4000);
        assert!(parse_bind("localhost").unwrap_err().contains("no port"));
        assert!(
            parse_bind("localhost:99999")
                .unwrap_err()
                .contains("not a port")
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn times_parse_in_both_forms() {
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z"),
            Ok(Timestamp(1_767_225_600_000))
        );
        assert!(parse_time("2026-06-12T19:30").is_ok());
        assert!(parse_time("next tuesday").is_err());
        assert!(parse_time("2026-13-40T10:00:00Z").is_err());
    }
}
