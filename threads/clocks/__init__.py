"""The clock pipeline's spine (docs/rules.md).

- `actions`: the vocabulary every caller speaks (a customer wrote, an agent wrote, the status or
  fields changed, no reply is needed, time passed, policies re-applied).
- `book`: the policy book the rules read configuration through (a what-if injects its own).
- `moves` and `rules`: the rules themselves, on one thread held in memory, no queries.
- `measure`: business time used and left, for every reader.
- `times`: when a change may be dated.
- `store`: lock a thread, load its clocks, save what the rules touched, in bulk.

Services, the evaluator, the importer and the what-if all build actions, apply them with
`Clockwork.apply`, and (except the what-if) save through the store.
"""
