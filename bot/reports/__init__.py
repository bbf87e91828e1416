"""The facilitators' read side (no telegram import): what was collected, exports, statistics."""
