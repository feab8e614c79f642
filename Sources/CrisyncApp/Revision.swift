let buildRevision = "unknown"
