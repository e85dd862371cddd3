"""The staff progress page: a small tornado app run as the hub service `progress` (`medai report serve`)."""
