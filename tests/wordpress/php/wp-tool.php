<?php
/**
 * The tests' hands on their WordPress, run with PHP's CLI inside the WordPress folder:
 *
 *   php wp-tool.php install           (once: tables, options, theme, author)
 *   php wp-tool.php publish < JSON    {title, content, slug, date?, to_ping?, delay?}
 *   php wp-tool.php inspect < JSON    {id}
 *
 * Each prints one JSON object: the post, its permalink, pinged URLs and pingback comments.
 */

$command = $argv[1] ?? '';
$input   = json_decode( (string) stream_get_contents( STDIN ), true ) ?: array();
if ( 'install' === $command ) {
	define( 'WP_INSTALLING', true );
}
require __DIR__ . '/wp-load.php';

function commentsvc_post_state( $id ) {
	clean_post_cache( $id ); // trackback() updates the row behind the cache's back
	$comments = get_comments(
		array(
			'post_id' => $id,
			'status'  => 'all',
			'order'   => 'ASC',
		)
	);
	return array(
		'id'       => $id,
		'url'      => get_permalink( $id ),
		'pung'     => get_pung( $id ),
		'to_ping'  => get_to_ping( $id ),
		'comments' => array_map(
			function ( $comment ) {
				return array(
					'type'     => $comment->comment_type,
					'approved' => $comment->comment_approved,
					'author'   => $comment->comment_author,
					'url'      => $comment->comment_author_url,
					'content'  => $comment->comment_content,
					'agent'    => $comment->comment_agent,
				);
			},
			$comments
		),
	);
}

if ( 'install' === $command ) {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$installed = wp_install( 'A WordPress on loopback', 'ada', 'ada@example.org', true, '', wp_generate_password() );
	wp_update_user(
		array(
			'ID'           => $installed['user_id'],
			'display_name' => 'Ada Lovelace',
			'user_url'     => home_url( '/about/' ),
		)
	);
	update_option( 'permalink_structure', '/%postname%/' );
	update_option( 'ping_sites', '' ); // No update services: nothing leaves the machine.
	update_option( 'default_pingback_flag', '1' );
	update_option( 'default_ping_status', 'open' );
	switch_theme( 'commentsvc-classic' );
	flush_rewrite_rules( false );
	echo wp_json_encode( array( 'version' => get_bloginfo( 'version' ) ) );
} elseif ( 'publish' === $command ) {
	wp_set_current_user( 1 );
	$fields = array(
		'post_title'   => $input['title'],
		'post_content' => $input['content'],
		'post_name'    => $input['slug'],
		'post_status'  => 'publish',
		'post_author'  => 1,
		'to_ping'      => implode( "\n", $input['to_ping'] ?? array() ),
		'meta_input'   => array( 'commentsvc_test_delay' => $input['delay'] ?? 0 ),
	);
	if ( ! empty( $input['date'] ) ) {
		$fields['post_date'] = $input['date'];
	}
	$id = wp_insert_post( $fields, true );
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, $id->get_error_message() . "\n" );
		exit( 1 );
	}
	echo wp_json_encode( commentsvc_post_state( $id ) );
} elseif ( 'inspect' === $command ) {
	echo wp_json_encode( commentsvc_post_state( (int) $input['id'] ) );
} else {
	fwrite( STDERR, "usage: php wp-tool.php install|publish|inspect\n" );
	exit( 2 );
}
