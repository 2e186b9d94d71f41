"""Sources stage: where bytes come from (files and directories now; HTTP feeds with the daemon)."""
