"""The facilitators' read side, no telegram: collected, answers pages, digest, exports, stats."""
