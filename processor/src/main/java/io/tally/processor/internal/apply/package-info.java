/**
 * The apply rounds: the state of each owned partition, what each pipelined round sends for it (claims,
 * apply.lua, the fast script for batches read ahead, the narrowing of a failing batch to its poison
 * entry) and what the replies do to its cursors, queues and halts.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.apply;
