"""The operator's session: logged events, proposals and every decision, stored before they are shown."""
