/**
 * Pieces shared by the application's HTTP servers (the API service and the processor's metrics and
 * health server): the bounds on connections and on the time a request may take to arrive.
 */
package io.tally.app.http;
