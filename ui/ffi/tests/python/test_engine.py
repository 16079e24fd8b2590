"""The engine through its generated Python binding: the same interface Kotlin and Swift get.

Run by scripts/test after `scripts/bindings python OUT`; HEARTH_BINDINGS names OUT. Loopback
only, relays off, no mDNS. Every wait has a deadline; nothing sleeps for a fixed time.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.environ.get("HEARTH_BINDINGS", os.path.dirname(__file__)))

import hearth  # noqa: E402

CONFIG = hearth.EngineConfig(bind="127.0.0.1:0", relays="off", mdns=False)
DEADLINE = 30.0


def wait_until(what, condition, deadline=DEADLINE):
    """Polls `condition` until it holds; fails naming `what` once `deadline` seconds passed."""
    end = time.monotonic() + deadline
    while True:
        if condition():
            return
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(0.02)


def texts(engine):
    return sorted(note.text for note in engine.wall())


class Recorder(hearth.EventListener):
    """Keeps every event the engine reports."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events = []

    def on_event(self, event):
        with self._lock:
            self._events.append(event)

    def events(self):
        with self._lock:
            return list(self._events)


class Couple(unittest.TestCase):
    """Two people's devices, paired over loopback."""

    def setUp(self):
        self._dirs = [tempfile.TemporaryDirectory(prefix="hearth-ffi-") for _ in range(2)]
        self.ana = hearth.Engine.create(os.path.join(self._dirs[0].name, "ana"), "Ana", CONFIG)
        self.ben = hearth.Engine.create(os.path.join(self._dirs[1].name, "ben"), "Ben", CONFIG)
        self.paired = Recorder()
        self.ana.set_listener(self.paired)
        ticket = self.ana.invite("partner")
        self.assertTrue(ticket)
        self.ben.join(ticket)
        ben_id = self.ben.endpoint_id()
        wait_until(
            "Ana's device to list Ben's as a member",
            lambda: any(d.endpoint_id == ben_id and d.member for d in self.ana.devices()),
        )

    def tearDown(self):
        for engine in (self.ana, self.ben):
            try:
                engine.shutdown()
            except hearth.HearthError:
                pass
        for d in self._dirs:
            d.cleanup()

    def test_pairing_is_reported_and_both_know_both_people(self):
        wait_until(
            "a Paired event on the inviting device",
            lambda: any(isinstance(e, hearth.EngineEvent.PAIRED) for e in self.paired.events()),
        )
        for engine in (self.ana, self.ben):
            wait_until("both people", lambda: sorted(p.name for p in engine.people()) == ["Ana", "Ben"])
        self.assertEqual([p.name for p in self.ana.people() if p.me], ["Ana"])
        self.assertEqual([p.name for p in self.ben.people() if p.me], ["Ben"])

    def test_a_pairing_code_is_six_digits(self):
        # Ana's partner is in already, so a code for "me" (another device of hers).
        code = self.ana.invite_code("me")
        self.assertEqual(len(code), 6)
        self.assertTrue(code.isdigit())
        with self.assertRaises(hearth.HearthError) as caught:
            self.ana.invite_code("partner")
        self.assertEqual(caught.exception.kind(), hearth.ErrorKind.PAIRING, caught.exception.message())

    def test_answers_open_only_once_both_answered(self):
        question = self.ana.questions()[0]
        self.ana.answer_question(question.id, "The smell of rain on the balcony")
        wait_until(
            "Ben's device to know Ana answered",
            lambda: len(next(q for q in self.ben.questions() if q.id == question.id).answers) == 1,
        )
        seen = next(q for q in self.ben.questions() if q.id == question.id)
        self.assertIsNone(seen.answers[0].text)
        self.assertFalse(seen.both_answered)
        self.ben.answer_question(question.id, "Your terrible puns")
        def both_open(engine):
            q = next(q for q in engine.questions() if q.id == question.id)
            return q.both_answered and all(a.text for a in q.answers)
        wait_until("both answers open on Ana's device", lambda: both_open(self.ana))
        wait_until("both answers open on Ben's device", lambda: both_open(self.ben))
        texts = sorted(a.text for a in next(q for q in self.ana.questions() if q.id == question.id).answers)
        self.assertEqual(texts, ["The smell of rain on the balcony", "Your terrible puns"])
        with self.assertRaises(hearth.HearthError) as caught:
            self.ana.answer_question(question.id, "Something else")
        self.assertEqual(caught.exception.kind(), hearth.ErrorKind.NOT_ALLOWED, caught.exception.message())

    def test_writes_on_both_converge(self):
        mine = self.ana.add_note("Thank you for the soup", True)
        theirs = self.ben.add_note("Thank you for the walk", False)
        self.assertNotEqual(mine, theirs)
        self.ana.plan_date("Picnic", "2027-05-01T12:00:00+02:00")
        self.ben.check_in(4, 5)
        both = ["Thank you for the soup", "Thank you for the walk"]
        wait_until("both notes on both walls", lambda: texts(self.ana) == both and texts(self.ben) == both)
        wait_until("the date on Ben's device", lambda: [d.title for d in self.ben.dates()] == ["Picnic"])
        wait_until("Ben's check-in on Ana's device", lambda: len(self.ana.check_ins(7)) == 1)

        note = next(n for n in self.ben.wall() if n.id == mine)
        self.assertEqual(note.author, "Ana")
        self.assertTrue(note.wall_safe)
        walk = next(n for n in self.ana.wall() if n.id == theirs)
        self.assertEqual(walk.author, "Ben")
        self.assertFalse(walk.wall_safe)
        date = self.ben.dates()[0]
        self.assertEqual(date.when, "2027-05-01T10:00:00Z")
        self.assertEqual(date.planner, "Ana")
        check_in = self.ana.check_ins(7)[0]
        self.assertEqual((check_in.person, check_in.mood, check_in.closeness), ("Ben", 4, 5))

    def test_every_intent_goes_through_apply(self):
        idea = self.ana.apply(hearth.Intent.ADD_IDEA(kind="date", title="Stargazing", bucket=None, enjoy=True))
        self.assertIsNotNone(idea.id)
        wait_until("the idea on Ben's device", lambda: any(i.id == idea.id for i in self.ben.ideas()))
        self.ben.apply(hearth.Intent.MARK_IDEA(id=idea.id, enjoy=True))
        wait_until("the idea matched on Ana's device", lambda: any(i.matched for i in self.ana.ideas()))
        kind = self.ana.apply(hearth.Intent.LOG_KINDNESS(what="Made tea", when=None, bucket="help"))
        self.assertIsNotNone(kind.id)
        self.assertEqual([k.what for k in self.ana.kindness()], ["Made tea"])
        note = self.ana.add_note("Thank you for the flowers", False)
        self.ana.apply(hearth.Intent.SET_WALL_SAFE(id=note, wall_safe=True))
        self.assertTrue(next(n for n in self.ana.wall() if n.id == note).wall_safe)
        self.ana.apply(hearth.Intent.DELETE(id=note))
        self.assertEqual([n.id for n in self.ana.wall() if n.id == note], [])
        self.ana.apply(hearth.Intent.RESTORE(id=note))
        self.assertEqual([n.id for n in self.ana.wall() if n.id == note], [note])

    def test_talk_steps_cross_and_private_words_stay_home(self):
        talk = self.ana.apply(hearth.Intent.START_LISTENING(statement="I miss our evening walks"))
        wait_until("the exchange on Ben's device", lambda: [x.id for x in self.ben.listening()] == [talk.id])
        self.ben.apply(hearth.Intent.REFLECT(id=talk.id, text="You miss walking with me after dinner"))
        wait_until(
            "the reflection on Ana's device",
            lambda: self.ana.listening()[0].state == "awaiting_confirmation",
        )
        with self.assertRaises(hearth.HearthError) as caught:
            self.ben.apply(hearth.Intent.CONFIRM_REFLECTION(id=talk.id))
        self.assertEqual(caught.exception.kind(), hearth.ErrorKind.NOT_ALLOWED, caught.exception.message())
        self.ana.apply(hearth.Intent.CONFIRM_REFLECTION(id=talk.id))
        wait_until("understood on Ben's device", lambda: self.ben.listening()[0].state == "understood")

        parts = hearth.StatementParts(
            observation="the dishes stayed in the sink",
            feeling="tired",
            need="rest after work",
            request="wash up on weekdays",
        )
        self.ana.apply(hearth.Intent.WRITE_I_STATEMENT(parts=parts, visibility=hearth.Visibility.SHARED))
        secret = self.ana.apply(hearth.Intent.WRITE_HURT(text="a private hurt", visibility=hearth.Visibility.PRIVATE))
        self.ana.add_note("Thank you for listening", False)
        wait_until("the shared statement on Ben's device", lambda: len(self.ben.statements()) == 1)
        wait_until("the note on Ben's device", lambda: texts(self.ben) == ["Thank you for listening"])
        self.assertIn("tired", self.ben.statements()[0].sentence)
        self.assertEqual([r.id for r in self.ana.repairs()], [secret.id])
        self.assertEqual(self.ben.repairs(), [], "the partner's device holds a private hurt")

        self.ana.apply(hearth.Intent.DELETE(id=talk.id))
        self.assertEqual([t.id for t in self.ana.trash()], [talk.id])

    def test_a_suspended_device_gets_the_note_at_resume(self):
        self.ben.suspend()
        self.ana.add_note("Thank you for waiting up", False)
        self.assertEqual(texts(self.ben), [], "a suspended device received something")
        brought = self.ben.resume()
        self.assertGreaterEqual(brought, 1)
        self.assertEqual(texts(self.ben), ["Thank you for waiting up"], "the resume returned before the note was in")

    @unittest.skipUnless(os.environ.get("HEARTH_BIN"), "needs the hearth binary (HEARTH_BIN)")
    def test_phones_that_never_meet_converge_through_a_mailbox(self):
        box = tempfile.TemporaryDirectory(prefix="hearth-mailbox-")
        self.addCleanup(box.cleanup)
        server = subprocess.Popen(
            [os.environ["HEARTH_BIN"], "--json", "mailbox", "serve", "--bind", "127.0.0.1:0",
             "--dir", box.name],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        self.addCleanup(server.stdout.close)
        self.addCleanup(server.wait)
        self.addCleanup(server.terminate)
        ticket = json.loads(server.stdout.readline())["ticket"]
        self.assertIsNone(self.ana.mailbox_status())
        with self.assertRaises(hearth.HearthError) as bad:
            self.ana.mailbox_add("HEARTHBOX1AAAA")
        self.assertEqual(bad.exception.kind(), hearth.ErrorKind.INVALID_INPUT)
        self.assertIsNone(self.ana.mailbox_status(), "a bad ticket set up nothing")
        self.ana.mailbox_add(ticket)
        wait_until("Ben's phone to learn the mailbox", lambda: self.ben.mailbox_status() is not None)
        self.ben.suspend()
        # Never open together from here.
        self.ana.add_note("Left in the mailbox", False)
        self.ana.suspend()
        self.assertEqual(self.ana.mailbox_status().pending, 0, "handed in on suspend")
        self.ben.resume()
        self.assertIn("Left in the mailbox", texts(self.ben), "fetched at the resume")
        status = self.ben.mailbox_status()
        self.assertIsNotNone(status.last_fetched)
        self.assertIsNone(status.dropped_before)

    def test_events_arrive_for_a_received_note(self):
        heard = Recorder()
        self.ben.set_listener(heard)
        self.ana.add_note("Thank you for the music", False)
        wait_until(
            "a ChangesReceived event on Ben's device",
            lambda: any(isinstance(e, hearth.EngineEvent.CHANGES_RECEIVED) for e in heard.events()),
        )
        self.assertIn(hearth.EngineEvent.VIEWS_CHANGED(here=False), heard.events())
        self.assertEqual(texts(self.ben), ["Thank you for the music"])

    def test_bad_input_raises_the_typed_error_and_changes_nothing(self):
        self.ana.add_note("Thank you for the bread", False)
        before = self.ana.wall()
        cases = [
            (lambda: self.ana.add_note("", True), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.add_note("   ", True), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.check_in(9, 3), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.check_in(3, 0), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.plan_date("Dinner", "tomorrow at seven"), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.invite("boss"), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.join("not a ticket"), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.join_code("12345"), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.join_code("one two three"), hearth.ErrorKind.INVALID_INPUT),
            (lambda: self.ana.apply(hearth.Intent.DELETE(id="01NOSUCHITEM")), hearth.ErrorKind.NOT_FOUND),
            (
                lambda: self.ana.apply(hearth.Intent.ADD_IDEA(kind="chore", title="Taxes", bucket=None, enjoy=False)),
                hearth.ErrorKind.INVALID_INPUT,
            ),
        ]
        for call, kind in cases:
            with self.assertRaises(hearth.HearthError) as caught:
                call()
            self.assertEqual(caught.exception.kind(), kind, caught.exception.message())
            self.assertTrue(caught.exception.message())
        self.assertEqual(self.ana.wall(), before)
        self.assertEqual(self.ana.dates(), [])
        self.assertEqual(self.ana.check_ins(7), [])

    def test_shutdown_returns_promptly_while_a_sync_runs(self):
        for i in range(200):
            self.ana.add_note(f"Thank you, number {i}", False)
        started = time.monotonic()
        self.ben.shutdown()
        took = time.monotonic() - started
        # Bounded by the engine's patience (2 s); a hang fails here rather than in CI's timeout.
        self.assertLess(took, 5.0, f"shutdown took {took:.2f} s")
        with self.assertRaises(hearth.HearthError) as caught:
            self.ben.wall()
        self.assertEqual(caught.exception.kind(), hearth.ErrorKind.CLOSED)


class Alone(unittest.TestCase):
    def test_a_profile_directory_that_does_not_exist(self):
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "no", "such", "profile")
            with self.assertRaises(hearth.HearthError) as caught:
                hearth.Engine.open(missing, CONFIG)
            self.assertEqual(caught.exception.kind(), hearth.ErrorKind.NOT_FOUND, caught.exception.message())
            self.assertFalse(os.path.exists(missing), "opening created the directory")

    def test_a_bad_config_is_invalid_input_and_creates_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            where = os.path.join(d, "p")
            bad = hearth.EngineConfig(bind="somewhere", relays="off", mdns=False)
            with self.assertRaises(hearth.HearthError) as caught:
                hearth.Engine.create(where, "Ana", bad)
            self.assertEqual(caught.exception.kind(), hearth.ErrorKind.INVALID_INPUT)
            self.assertFalse(os.path.exists(where))

    def test_an_empty_name_is_refused_and_leaves_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            where = os.path.join(d, "p")
            with self.assertRaises(hearth.HearthError) as caught:
                hearth.Engine.create(where, "  ", CONFIG)
            self.assertEqual(caught.exception.kind(), hearth.ErrorKind.INVALID_INPUT, caught.exception.message())
            self.assertFalse(os.path.exists(where) and os.listdir(where))

    def test_reopening_keeps_the_journal(self):
        with tempfile.TemporaryDirectory() as d:
            where = os.path.join(d, "p")
            engine = hearth.Engine.create(where, "Ana", CONFIG)
            engine.add_note("Thank you for the tea", True)
            engine.shutdown()
            del engine
            import gc

            gc.collect()
            again = hearth.Engine.open(where, CONFIG)
            self.assertEqual(texts(again), ["Thank you for the tea"])
            again.shutdown()


if __name__ == "__main__":
    unittest.main()
