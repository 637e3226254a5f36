"""The decode loop both VM1 and VM2 answer with: a lean Llama decoder, continuous batching with exact
retrieval drafts, and the serving-engine seam. VM2's service serves with it; the trainer scores every version with
it, so a version's recorded answers are the ones VM2 will give."""
