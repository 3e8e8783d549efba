#include "actors/stream_metrics.hpp"

#include <array>

namespace scpipe {

const stream_metrics& stream_metrics::get() {
  static const stream_metrics m = [] {
    auto& r = metrics::global();
    auto rows = metrics::size_buckets(1, 4, 10);
    return stream_metrics{
        r.get_counter("scpipe_broker_requests_total", "Requests read from the broker socket."),
        r.get_counter("scpipe_broker_requests_refused_total",
                      "Requests refused at the socket: wrong frame count or message id."),
        r.get_gauge("scpipe_broker_inflight_messages", "Messages read and not yet answered."),
        r.get_gauge("scpipe_broker_inflight_bytes",
                    "Payload bytes of the messages read and not yet answered."),
        r.get_gauge("scpipe_broker_reading_paused",
                    "1 while the in-flight bound stops the socket from being read."),
        r.get_counter("scpipe_broker_backpressure_pauses_total",
                      "Times reading stopped because the in-flight bound was reached."),
        r.get_counter("scpipe_broker_auth_denied_total",
                      "CURVE handshakes refused: the client's key is not in the allow-list."),
        r.get_counter("scpipe_broker_replies_undeliverable_total",
                      "Replies not delivered because their producer had disconnected (a reply "
                      "is never dropped while its producer is connected)."),
        r.get_counter("scpipe_feed_batches_published_total",
                      "Committed batches published on the live feed (broker.publish_endpoint)."),
        r.get_counter("scpipe_feed_events_published_total", "Events published on the live feed."),
        r.get_counter("scpipe_feed_batches_dropped_total",
                      "Committed batches not published on the live feed because its queue in "
                      "the service was full (subscribers' own losses show as gaps in the "
                      "batch numbers)."),
        r.get_gauge("scpipe_batcher_pending_messages",
                    "Validated messages waiting in the batcher for a free writer."),
        r.get_counter("scpipe_batcher_batches_reassigned_total",
                      "Batches handed to another writer after their writer failed."),
        r.get_counter("scpipe_writer_batches_committed_total", "Batches committed."),
        r.get_histogram("scpipe_writer_batch_rows", "Events plus dead letters per committed batch.",
                        rows),
        r.get_histogram("scpipe_writer_commit_seconds",
                        "Time from the start to the commit of a batch's transaction.",
                        metrics::latency_buckets_seconds()),
        r.get_counter("scpipe_events_accepted_total", "Events committed to sc.sc_user_event."),
        r.get_counter("scpipe_events_rejected_total",
                      "Events (or whole payloads) written to scpipe.rejected_event."),
        r.get_counter("scpipe_broker_ids_reused_total",
                      "Messages refused because their id was committed before with a different "
                      "payload (reply reason id_reused); nothing of them was written."),
        r.get_counter("scpipe_events_unknown_user_total",
                      "Events committed whose user_id was not a current user in sc.sc_user as of "
                      "the last user-ETL run (counted once the first run after start is done)."),
        r.get_counter("scpipe_writer_retries_total",
                      "Failed attempts at a batch that were retried after a backoff."),
        r.get_counter("scpipe_writer_batches_given_up_total",
                      "Batches answered retry because the database failed past the deadline."),
    };
  }();
  return m;
}

metrics::counter& stream_metrics::replies(reply_status status) const {
  static const auto by_status = [] {
    std::array<metrics::counter*, std::size(all_reply_statuses)> out{};
    for (auto s : all_reply_statuses)
      out.at(static_cast<size_t>(s)) =
          &metrics::global().get_counter("scpipe_broker_replies_total", "Replies sent, by status.",
                                         {{"status", std::string{to_string(s)}}});
    return out;
  }();
  return *by_status.at(static_cast<size_t>(status));
}

} // namespace scpipe
