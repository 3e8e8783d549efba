# The sources of scpipe_core: the pure layer (no CAF, no libpqxx, no ZeroMQ). One list, used by
# CMakeLists.txt and by fuzz/CMakeLists.txt, which compiles the same files with libFuzzer's
# instrumentation instead of linking the gcc-built library.
set(scpipe_core_sources
  config.cpp
  conninfo.cpp
  copy_text.cpp
  crm_rows.cpp
  csv_reader.cpp
  curve_keys.cpp
  batch_builder.cpp
  event_batch.cpp
  event_feed.cpp
  event_files.cpp
  event_payload.cpp
  event_reply.cpp
  event_time.cpp
  http.cpp
  json_documents.cpp
  known_users.cpp
  log.cpp
  metrics.cpp
  producer_session.cpp
  publish_messages.cpp
  publish_summary.cpp
  publish_window.cpp
  report.cpp
  restart_policy.cpp
  sqlstate.cpp
  staged_user.cpp
  utf8.cpp
  version.cpp)
list(TRANSFORM scpipe_core_sources PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/version.cpp PROPERTIES
  COMPILE_DEFINITIONS SCPIPE_VERSION="${PROJECT_VERSION}")
