//! Fingerprints: the dedup key of a finding within its (repo, tool) scope.
