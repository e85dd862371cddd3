"""medai: a medical-AI course platform."""
