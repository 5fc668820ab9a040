<?php
/**
 * Plugin Name: commentsvc test peer
 * Description: Tests only. Lets this WordPress reach the loopback servers of a test run, sends
 * its pings as soon as a post is published, and logs every HTTP request it makes.
 *
 * Installed as a must-use plugin by tests/wordpress/conftest.py into a throw-away WordPress; it
 * does nothing unless the test wp-config.php defines COMMENTSVC_TEST_LOG.
 */

if ( ! defined( 'COMMENTSVC_TEST_LOG' ) ) {
	return;
}

/** Whether a host is a loopback address (the only hosts a test run serves from). */
function commentsvc_test_is_loopback( $host ) {
	return 1 === preg_match( '/^127(\.\d{1,3}){3}$/', (string) $host );
}

// WordPress refuses loopback hosts and ports other than 80, 443 and 8080 in its "safe"
// requests (discovery, trackbacks, verifying a pingback's source); the test servers are both.
// Everything else about a safe request (schemes, credentials, redirects) stays as shipped.
add_filter(
	'http_request_host_is_external',
	function ( $is_external, $host ) {
		return $is_external || commentsvc_test_is_loopback( $host );
	},
	10,
	2
);
add_filter(
	'http_allowed_safe_ports',
	function ( $ports, $host, $url ) {
		$port = wp_parse_url( $url, PHP_URL_PORT );
		if ( $port && commentsvc_test_is_loopback( $host ) ) {
			$ports[] = $port;
		}
		return $ports;
	},
	10,
	3
);

// No mail leaves a test WordPress (the install's welcome mail, comment notifications).
add_filter( 'pre_wp_mail', '__return_false' );

// Pings run when the post is saved, not on a later cron visit: the test sees their outcome.
add_action(
	'wp_after_insert_post',
	function ( $post_id, $post ) {
		if ( 'publish' === $post->post_status ) {
			do_all_pings();
		}
	},
	100,
	2
);

// A post with the custom field commentsvc_test_delay (seconds) is served that much later, or
// as soon as the file COMMENTSVC_TEST_RELEASE exists (the test ends the wait).
add_action(
	'template_redirect',
	function () {
		if ( ! is_singular() ) {
			return;
		}
		$until = microtime( true ) + (float) get_post_meta( get_queried_object_id(), 'commentsvc_test_delay', true );
		while ( microtime( true ) < $until && ! file_exists( COMMENTSVC_TEST_RELEASE ) ) {
			usleep( 50000 );
		}
	}
);

// Every outgoing request, one JSON line each: what WordPress sends and what came of it.
$GLOBALS['commentsvc_test_started'] = array();
add_filter(
	'http_request_args',
	function ( $args, $url ) {
		$GLOBALS['commentsvc_test_started'][ $url ] = microtime( true );
		return $args;
	},
	PHP_INT_MAX,
	2
);
add_action(
	'http_api_debug',
	function ( $response, $context, $class, $args, $url ) {
		$started = $GLOBALS['commentsvc_test_started'][ $url ] ?? microtime( true );
		$entry   = array(
			'url'         => $url,
			'method'      => $args['method'],
			'timeout'     => $args['timeout'],
			'redirection' => $args['redirection'],
			'user_agent'  => $args['user-agent'],
			'headers'     => $args['headers'],
			'body'        => $args['body'],
			'seconds'     => round( microtime( true ) - $started, 3 ),
			'status'      => is_wp_error( $response ) ? null : wp_remote_retrieve_response_code( $response ),
			'error'       => is_wp_error( $response ) ? $response->get_error_message() : null,
		);
		file_put_contents( COMMENTSVC_TEST_LOG, wp_json_encode( $entry ) . "\n", FILE_APPEND | LOCK_EX );
	},
	10,
	5
);
