/** The prefetchd daemon: NFSv4.1/4.0 server over S3 with an extent cache on local disk. */
package io.prefetchd.gateway;
