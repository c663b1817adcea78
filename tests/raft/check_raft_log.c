/*
 * check_raft_log.c - unit tests of the Raft core's building blocks: value
 * types and the ConfChange codec, the in-memory storage, the log with its
 * unstable tail, progress/inflights, and quorum arithmetic.  These reach
 * into raft_int.h on purpose: the pieces are tested one by one here.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

static struct raft_entry ent(uint64_t index, uint64_t term)
{
	struct raft_entry e = { .index = index, .term = term };

	return e;
}

/* ---- types ------------------------------------------------------------------- */

START_TEST(test_enum_values_match_raftpb)
{
	ck_assert_int_eq(RAFT_MSG_HUP, 0);
	ck_assert_int_eq(RAFT_MSG_SNAP, 7);
	ck_assert_int_eq(RAFT_MSG_READ_INDEX_RESP, 16);
	ck_assert_int_eq(RAFT_MSG_PRE_VOTE_RESP, 18);
	ck_assert_int_eq(RAFT_ENTRY_CONF_CHANGE, 1);
	ck_assert_int_eq(RAFT_CONF_ADD_LEARNER_NODE, 3);
	ck_assert_str_eq(raft_msg_type_name(RAFT_MSG_TIMEOUT_NOW), "MsgTimeoutNow");
	ck_assert_str_eq(raft_msg_type_name(99), "MsgUnknown");
	ck_assert_str_eq(raft_strerror(RAFT_EPROPOSALDROPPED), "raft proposal dropped");
	ck_assert_str_eq(raft_strerror(RAFT_ECOMPACTED), "requested index is unavailable due to compaction");
	ck_assert_str_eq(raft_state_name(RAFT_STATE_PRE_CANDIDATE), "StatePreCandidate");
}
END_TEST

START_TEST(test_blob_refcount_and_msg_copy)
{
	struct raft_blob *b = raft_blob_new("hello", 5);
	struct raft_entry e = { .term = 1, .index = 2, .data = b };
	struct raft_message m = { .type = RAFT_MSG_APP, .entries = &e, .n_entries = 1 }, c;

	ck_assert_uint_eq(b->refs, 1);
	ck_assert_int_eq(raft_msg_copy(&c, &m), RAFT_OK);
	ck_assert_uint_eq(b->refs, 2);
	ck_assert_ptr_eq(c.entries[0].data, b);
	raft_msg_clear(&c);
	ck_assert_uint_eq(b->refs, 1);
	ck_assert(raft_blob_equal(NULL, NULL));
	ck_assert(!raft_blob_equal(b, NULL));
	raft_blob_unref(b);
}
END_TEST

START_TEST(test_entry_size)
{
	struct raft_entry e = { .term = 1, .index = 1 };

	/* gogoproto: 3 tags + 3 one-byte varints */
	ck_assert_uint_eq(raft_entry_size(&e), 6);
	e.data = raft_blob_new("abc", 3);
	ck_assert_uint_eq(raft_entry_size(&e), 11);
	e.index = 300; /* two-byte varint */
	ck_assert_uint_eq(raft_entry_size(&e), 12);
	raft_entry_clear(&e);
}
END_TEST

START_TEST(test_conf_change_codec)
{
	struct raft_conf_change cc = { .id = 7, .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 300 }, out;
	struct raft_blob *b;
	/* raftpb.ConfChange{ID:7, Type:AddLearnerNode, NodeID:300} as gogoproto marshals it */
	static const uint8_t want[] = { 0x08, 0x07, 0x10, 0x03, 0x18, 0xac, 0x02 };

	b = raft_conf_change_encode(&cc);
	ck_assert_uint_eq(b->len, sizeof(want));
	ck_assert_mem_eq(b->bytes, want, sizeof(want));
	ck_assert_int_eq(raft_conf_change_decode(b->bytes, b->len, &out), RAFT_OK);
	ck_assert_uint_eq(out.id, 7);
	ck_assert_int_eq(out.type, RAFT_CONF_ADD_LEARNER_NODE);
	ck_assert_uint_eq(out.node_id, 300);
	ck_assert_ptr_null(out.context);
	raft_blob_unref(b);
	cc.context = raft_blob_new("peer-url", 8);
	b = raft_conf_change_encode(&cc);
	ck_assert_int_eq(raft_conf_change_decode(b->bytes, b->len, &out), RAFT_OK);
	ck_assert(raft_blob_equal(out.context, cc.context));
	raft_blob_unref(out.context);
	/* truncated input is rejected */
	ck_assert_int_eq(raft_conf_change_decode(b->bytes, b->len - 1, &out), RAFT_EINVAL);
	raft_blob_unref(b);
	raft_blob_unref(cc.context);
	/* a context larger than the encoder's stack buffer */
	{
		char big[300];

		memset(big, 'u', sizeof(big));
		cc.context = raft_blob_new(big, sizeof(big));
		b = raft_conf_change_encode(&cc);
		ck_assert_int_eq(raft_conf_change_decode(b->bytes, b->len, &out), RAFT_OK);
		ck_assert_uint_eq(raft_blob_len(out.context), sizeof(big));
		raft_blob_unref(out.context);
		raft_blob_unref(b);
		raft_blob_unref(cc.context);
	}
}
END_TEST

/* ---- memory storage --------------------------------------------------------------- */

static struct raft_mem_storage *storage_with(uint64_t n)
{
	struct raft_mem_storage *ms = raft_mem_storage_new();

	for (uint64_t i = 1; i <= n; i++) {
		struct raft_entry e = ent(i, i);

		ck_assert_int_eq(raft_mem_storage_append(ms, &e, 1), RAFT_OK);
	}
	return ms;
}

START_TEST(test_mem_storage)
{
	struct raft_mem_storage *ms = storage_with(5);
	struct raft_storage st;
	struct raft_entries out = { 0 };
	struct raft_entry e[2] = { ent(4, 9), ent(5, 9) };
	uint64_t t, i;

	raft_mem_storage_bind(ms, &st);
	ck_assert_int_eq(st.entries(st.ctx, 2, 5, RAFT_NO_LIMIT, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 3);
	raft_entries_reset(&out);
	/* max_size keeps at least one entry */
	ck_assert_int_eq(st.entries(st.ctx, 2, 5, 0, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 1);
	raft_entries_reset(&out);
	ck_assert_int_eq(st.entries(st.ctx, 2, 5, 12, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 2);
	raft_entries_reset(&out);
	/* append truncates a conflicting suffix */
	ck_assert_int_eq(raft_mem_storage_append(ms, e, 2), RAFT_OK);
	ck_assert_int_eq(st.term(st.ctx, 4, &t), RAFT_OK);
	ck_assert_uint_eq(t, 9);
	ck_assert_uint_eq(raft_mem_storage_last_index(ms), 5);
	/* a gap is refused */
	e[0] = ent(9, 9);
	ck_assert_int_eq(raft_mem_storage_append(ms, e, 1), RAFT_EINVAL);
	/* compaction */
	ck_assert_int_eq(raft_mem_storage_compact(ms, 3), RAFT_OK);
	ck_assert_int_eq(raft_mem_storage_compact(ms, 2), RAFT_ECOMPACTED);
	ck_assert_int_eq(st.first_index(st.ctx, &i), RAFT_OK);
	ck_assert_uint_eq(i, 4);
	ck_assert_int_eq(st.term(st.ctx, 3, &t), RAFT_OK);
	ck_assert_uint_eq(t, 3);
	ck_assert_int_eq(st.term(st.ctx, 2, &t), RAFT_ECOMPACTED);
	ck_assert_int_eq(st.term(st.ctx, 6, &t), RAFT_EUNAVAILABLE);
	ck_assert_int_eq(st.entries(st.ctx, 3, 5, RAFT_NO_LIMIT, &out), RAFT_ECOMPACTED);
	/* snapshots */
	ck_assert_int_eq(raft_mem_storage_create_snapshot(ms, 4, NULL, NULL), RAFT_OK);
	ck_assert_int_eq(raft_mem_storage_create_snapshot(ms, 4, NULL, NULL), RAFT_ESNAPOUTOFDATE);
	{
		struct raft_snapshot s = { .metadata = { .index = 20, .term = 7 } }, got;

		ck_assert_int_eq(raft_mem_storage_apply_snapshot(ms, &s), RAFT_OK);
		ck_assert_uint_eq(raft_mem_storage_first_index(ms), 21);
		ck_assert_uint_eq(raft_mem_storage_last_index(ms), 20);
		ck_assert_int_eq(st.term(st.ctx, 20, &t), RAFT_OK);
		ck_assert_uint_eq(t, 7);
		ck_assert_int_eq(st.snapshot(st.ctx, &got), RAFT_OK);
		ck_assert_uint_eq(got.metadata.index, 20);
		raft_snapshot_clear(&got);
		s.metadata.index = 10;
		ck_assert_int_eq(raft_mem_storage_apply_snapshot(ms, &s), RAFT_ESNAPOUTOFDATE);
	}
	raft_entries_free(&out);
	raft_mem_storage_free(ms);
}
END_TEST

START_TEST(test_mem_storage_compaction_keeps_working)
{
	struct raft_mem_storage *ms = raft_mem_storage_new();

	/* many appends and compactions: the array slides, entries survive */
	for (uint64_t i = 1; i <= 5000; i++) {
		struct raft_entry e = ent(i, 1);

		e.data = raft_blob_new(&i, sizeof(i));
		ck_assert_int_eq(raft_mem_storage_append(ms, &e, 1), RAFT_OK);
		raft_entry_clear(&e);
		if (i % 100 == 0)
			ck_assert_int_eq(raft_mem_storage_compact(ms, i - 10), RAFT_OK);
	}
	ck_assert_uint_eq(raft_mem_storage_first_index(ms), 4991);
	ck_assert_uint_eq(raft_mem_storage_last_index(ms), 5000);
	raft_mem_storage_free(ms);
}
END_TEST

/* ---- log --------------------------------------------------------------------------------- */

struct tlog {
	struct raft_mem_storage *ms;
	struct raft_storage st;
	struct raft_log l;
	int err;
};

static void tlog_init(struct tlog *t, uint64_t stored)
{
	memset(t, 0, sizeof(*t));
	t->ms = storage_with(stored);
	raft_mem_storage_bind(t->ms, &t->st);
	ck_assert_int_eq(raft_log_init(&t->l, &t->st, RAFT_NO_LIMIT, &t->err), RAFT_OK);
}

static void tlog_free(struct tlog *t)
{
	raft_log_free(&t->l);
	raft_mem_storage_free(t->ms);
}

START_TEST(test_log_append_and_term)
{
	struct tlog t;
	struct raft_entry e[3] = { ent(4, 4), ent(5, 5), ent(6, 5) };
	int rc;

	tlog_init(&t, 3);
	ck_assert_uint_eq(raft_log_last_index(&t.l), 3);
	ck_assert_uint_eq(raft_log_append(&t.l, e, 3), 6);
	ck_assert_uint_eq(raft_log_term(&t.l, 5, &rc), 5);
	ck_assert_int_eq(rc, RAFT_OK);
	ck_assert_uint_eq(raft_log_term(&t.l, 2, &rc), 2);
	ck_assert_uint_eq(raft_log_term(&t.l, 9, &rc), 0); /* out of range: 0 */
	ck_assert_uint_eq(raft_log_last_term(&t.l), 5);
	ck_assert(raft_log_is_up_to_date(&t.l, 6, 5));
	ck_assert(raft_log_is_up_to_date(&t.l, 1, 6));
	ck_assert(!raft_log_is_up_to_date(&t.l, 5, 5));
	ck_assert(!raft_log_is_up_to_date(&t.l, 9, 4));
	/* truncating inside the unstable part */
	e[0] = ent(5, 7);
	ck_assert_uint_eq(raft_log_append(&t.l, e, 1), 5);
	ck_assert_uint_eq(raft_log_last_term(&t.l), 7);
	ck_assert_int_eq(t.err, 0);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_maybe_append)
{
	struct tlog t;
	struct raft_entry e[2] = { ent(3, 4), ent(4, 4) };
	bool ok;

	tlog_init(&t, 3); /* terms 1,2,3 */
	/* mismatched previous term: refused */
	raft_log_maybe_append(&t.l, 3, 2, 3, e + 1, 1, &ok);
	ck_assert(!ok);
	/* matching: appended, commit = min(leader commit, last new) */
	ck_assert_uint_eq(raft_log_maybe_append(&t.l, 3, 3, 9, e + 1, 1, &ok), 4);
	ck_assert(ok);
	ck_assert_uint_eq(t.l.committed, 4);
	ck_assert_uint_eq(raft_log_last_index(&t.l), 4);
	tlog_free(&t);

	/* a conflict below the commit index is a corruption */
	tlog_init(&t, 3);
	raft_log_commit_to(&t.l, 3);
	raft_log_maybe_append(&t.l, 2, 2, 3, e, 2, &ok);
	ck_assert_int_eq(t.err, RAFT_ECORRUPT);
	tlog_free(&t);

	/* conflict above commit: truncated and replaced */
	tlog_init(&t, 3);
	raft_log_maybe_append(&t.l, 2, 2, 2, e, 2, &ok);
	ck_assert(ok);
	ck_assert_uint_eq(raft_log_term_or_zero(&t.l, 3), 4);
	ck_assert_uint_eq(t.l.committed, 2);
	ck_assert_int_eq(t.err, 0);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_commit_rules)
{
	struct tlog t;

	tlog_init(&t, 3);
	/* only entries of the given term commit by counting */
	ck_assert(!raft_log_maybe_commit(&t.l, 2, 3));
	ck_assert(raft_log_maybe_commit(&t.l, 3, 3));
	ck_assert_uint_eq(t.l.committed, 3);
	/* the commit index never moves back */
	raft_log_commit_to(&t.l, 1);
	ck_assert_uint_eq(t.l.committed, 3);
	/* nor beyond the log */
	raft_log_commit_to(&t.l, 8);
	ck_assert_int_eq(t.err, RAFT_ECORRUPT);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_slice_and_next_ents)
{
	struct tlog t;
	struct raft_entries out = { 0 };
	struct raft_entry e[3] = { ent(4, 4), ent(5, 4), ent(6, 4) };

	tlog_init(&t, 3);
	raft_log_append(&t.l, e, 3);
	/* spans storage and unstable parts */
	ck_assert_int_eq(raft_log_slice(&t.l, 2, 6, RAFT_NO_LIMIT, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 4);
	ck_assert_uint_eq(out.v[0].index, 2);
	ck_assert_uint_eq(out.v[3].index, 5);
	raft_entries_reset(&out);
	/* size limit across the boundary: entries are 6 bytes each */
	ck_assert_int_eq(raft_log_slice(&t.l, 2, 7, 18, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 3);
	raft_entries_reset(&out);
	/* next entries to apply: (applied, committed] */
	raft_log_commit_to(&t.l, 5);
	ck_assert(raft_log_has_next_ents(&t.l));
	ck_assert_int_eq(raft_log_next_ents(&t.l, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 5);
	raft_entries_reset(&out);
	raft_log_applied_to(&t.l, 5);
	ck_assert(!raft_log_has_next_ents(&t.l));
	/* compacted */
	ck_assert_int_eq(raft_mem_storage_compact(t.ms, 2), RAFT_OK);
	ck_assert_int_eq(raft_log_slice(&t.l, 1, 3, RAFT_NO_LIMIT, &out), RAFT_ECOMPACTED);
	raft_entries_free(&out);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_stable_to)
{
	struct tlog t;
	struct raft_entry e[3] = { ent(4, 4), ent(5, 4), ent(6, 4) };
	struct raft_entry f = ent(5, 5);

	tlog_init(&t, 3);
	raft_log_append(&t.l, e, 3);
	ck_assert_uint_eq(t.l.u_n, 3);
	/* 5 was replaced since the ready was taken: not stabilized */
	raft_log_append(&t.l, &f, 1);
	raft_log_stable_to(&t.l, 5, 4);
	ck_assert_uint_eq(t.l.u_n, 2);
	raft_mem_storage_append(t.ms, e, 1);
	raft_mem_storage_append(t.ms, &f, 1);
	raft_log_stable_to(&t.l, 5, 5);
	ck_assert_uint_eq(t.l.u_n, 0);
	ck_assert_uint_eq(t.l.u_offset, 6);
	ck_assert_uint_eq(raft_log_last_index(&t.l), 5);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_unstable_slides)
{
	struct tlog t;
	struct raft_entries out = { 0 };

	tlog_init(&t, 0);
	/* append, stabilize a prefix, keep appending: the array slides */
	for (uint64_t i = 1; i <= 500; i++) {
		struct raft_entry e = ent(i, 1);

		raft_log_append(&t.l, &e, 1);
		if (i % 7 == 0) {
			raft_mem_storage_append(t.ms, t.l.u_v + t.l.u_start, t.l.u_n - 2);
			raft_log_stable_to(&t.l, i - 2, 1);
		}
	}
	ck_assert_uint_eq(raft_log_last_index(&t.l), 500);
	ck_assert_int_eq(raft_log_slice(&t.l, 1, 501, RAFT_NO_LIMIT, &out), RAFT_OK);
	ck_assert_uint_eq(out.n, 500);
	for (size_t k = 0; k < out.n; k++)
		ck_assert_uint_eq(out.v[k].index, k + 1);
	raft_entries_free(&out);
	ck_assert_int_eq(t.err, 0);
	tlog_free(&t);
}
END_TEST

START_TEST(test_log_restore)
{
	struct tlog t;
	struct raft_snapshot s = { .metadata = { .index = 10, .term = 5 } };

	tlog_init(&t, 3);
	ck_assert_int_eq(raft_log_restore(&t.l, &s), RAFT_OK);
	ck_assert_uint_eq(raft_log_first_index(&t.l), 11);
	ck_assert_uint_eq(raft_log_last_index(&t.l), 10);
	ck_assert_uint_eq(raft_log_last_term(&t.l), 5);
	ck_assert_uint_eq(t.l.committed, 10);
	ck_assert(raft_log_match_term(&t.l, 10, 5));
	raft_log_stable_snap_to(&t.l, 10);
	ck_assert_ptr_null(t.l.u_snap);
	tlog_free(&t);
}
END_TEST

/* ---- progress and inflights ------------------------------------------------------------------ */

START_TEST(test_inflights)
{
	uint64_t buf[4];
	struct raft_inflights in = { .buf = buf, .size = 4 };

	for (uint64_t i = 1; i <= 4; i++)
		raft_inflights_add(&in, i * 10);
	ck_assert(raft_inflights_full(&in));
	raft_inflights_free_le(&in, 25);
	ck_assert_int_eq(in.count, 2);
	raft_inflights_add(&in, 50);
	raft_inflights_add(&in, 60); /* wraps around */
	ck_assert(raft_inflights_full(&in));
	raft_inflights_free_first_one(&in);
	ck_assert_int_eq(in.count, 3);
	raft_inflights_free_le(&in, 5); /* nothing below */
	ck_assert_int_eq(in.count, 3);
	raft_inflights_free_le(&in, 60);
	ck_assert_int_eq(in.count, 0);
}
END_TEST

START_TEST(test_progress_states)
{
	uint64_t buf[2];
	struct raft_progress pr = { .match = 3, .next = 4, .ins = { .buf = buf, .size = 2 } };

	ck_assert(!raft_progress_is_paused(&pr));
	pr.probe_sent = true;
	ck_assert(raft_progress_is_paused(&pr));
	ck_assert(raft_progress_maybe_update(&pr, 5));
	ck_assert(!pr.probe_sent);
	ck_assert_uint_eq(pr.next, 6);
	ck_assert(!raft_progress_maybe_update(&pr, 4));
	raft_progress_become_replicate(&pr);
	ck_assert_uint_eq(pr.next, 6);
	raft_inflights_add(&pr.ins, 6);
	raft_inflights_add(&pr.ins, 7);
	ck_assert(raft_progress_is_paused(&pr));
	/* replicate: a rejection above match resets next to match+1 */
	pr.next = 8;
	ck_assert(!raft_progress_maybe_decr_to(&pr, 5, 5));
	ck_assert(raft_progress_maybe_decr_to(&pr, 7, 5));
	ck_assert_uint_eq(pr.next, 6);
	/* probe: uses the hint, only for the outstanding probe */
	raft_progress_become_probe(&pr);
	pr.next = 10;
	ck_assert(!raft_progress_maybe_decr_to(&pr, 8, 3));
	ck_assert(raft_progress_maybe_decr_to(&pr, 9, 6));
	ck_assert_uint_eq(pr.next, 7);
	/* snapshot: paused; back to probe after the snapshot index */
	raft_progress_become_snapshot(&pr, 20);
	ck_assert(raft_progress_is_paused(&pr));
	raft_progress_become_probe(&pr);
	ck_assert_uint_eq(pr.next, 21);
}
END_TEST

START_TEST(test_tracker_quorum)
{
	struct raft_tracker t;
	uint64_t ids[2] = { 1, 2 };

	raft_tracker_init(&t, 4);
	for (uint64_t id = 5; id >= 1; id--)
		ck_assert_int_eq(raft_tracker_add(&t, id, id == 5, 1), RAFT_OK);
	ck_assert_uint_eq(t.prs[0].id, 1); /* sorted */
	ck_assert_uint_eq(raft_tracker_voter_count(&t), 4);
	/* committed = 4 voters -> 3rd largest... quorum of 3 */
	t.prs[0].match = 10;
	t.prs[1].match = 8;
	t.prs[2].match = 6;
	t.prs[3].match = 1;
	t.prs[4].match = 100; /* learner: ignored */
	ck_assert_uint_eq(raft_tracker_committed(&t), 6);
	/* votes */
	raft_tracker_record_vote(&t, 1, true);
	raft_tracker_record_vote(&t, 2, true);
	ck_assert_int_eq(raft_tracker_tally(&t, NULL, NULL), RAFT_VOTE_PENDING);
	raft_tracker_record_vote(&t, 5, true); /* learner's vote is not counted */
	ck_assert_int_eq(raft_tracker_tally(&t, NULL, NULL), RAFT_VOTE_PENDING);
	raft_tracker_record_vote(&t, 3, false);
	raft_tracker_record_vote(&t, 4, false);
	ck_assert_int_eq(raft_tracker_tally(&t, NULL, NULL), RAFT_VOTE_LOST);
	raft_tracker_reset_votes(&t);
	raft_tracker_record_vote(&t, 3, true);
	raft_tracker_record_vote(&t, 4, true);
	raft_tracker_record_vote(&t, 1, true);
	ck_assert_int_eq(raft_tracker_tally(&t, NULL, NULL), RAFT_VOTE_WON);
	ck_assert_int_eq(raft_tracker_vote_result_of(&t, ids, 2), RAFT_VOTE_PENDING);
	raft_tracker_remove(&t, 4);
	raft_tracker_remove(&t, 3);
	ck_assert_int_eq(raft_tracker_vote_result_of(&t, ids, 2), RAFT_VOTE_WON);
	raft_tracker_free(&t);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("raft_parts");
	TCase *tc = tcase_create("parts");

	tcase_add_test(tc, test_enum_values_match_raftpb);
	tcase_add_test(tc, test_blob_refcount_and_msg_copy);
	tcase_add_test(tc, test_entry_size);
	tcase_add_test(tc, test_conf_change_codec);
	tcase_add_test(tc, test_mem_storage);
	tcase_add_test(tc, test_mem_storage_compaction_keeps_working);
	tcase_add_test(tc, test_log_append_and_term);
	tcase_add_test(tc, test_log_maybe_append);
	tcase_add_test(tc, test_log_commit_rules);
	tcase_add_test(tc, test_log_slice_and_next_ents);
	tcase_add_test(tc, test_log_stable_to);
	tcase_add_test(tc, test_log_unstable_slides);
	tcase_add_test(tc, test_log_restore);
	tcase_add_test(tc, test_inflights);
	tcase_add_test(tc, test_progress_states);
	tcase_add_test(tc, test_tracker_quorum);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
